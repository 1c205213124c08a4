#include "localist/blocks/rules_watch.h"

#include <fstream>
#include <sstream>

#include "localist/core/errors.h"
#include "localist/blocks/rules.h"

namespace localist {
namespace {

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

RulesWatch::RulesWatch(LocalistConfig base, std::string path, const data::Tokenizer& tokenizer)
    : config_(std::move(base)), path_(std::move(path)), tokenizer_(tokenizer) {
  const auto text = slurp(path_);
  if (!text) throw PathError("rules file '" + path_ + "' cannot be read");
  load(*text);
}

void RulesWatch::load(const std::string& text) {
  LocalistConfig next = config_;
  next.rules_file.clear();
  // the text just compared, not a second read of the file: errors name its lines and fields
  rules_from_text(next.blocks, text, path_, tokenizer_, &next.rules);
  auto blocks = std::make_unique<BlockMap>(BlockMap::from_config(next, tokenizer_));
  config_ = std::move(next);
  blocks_ = std::move(blocks);
  text_ = text;
}

std::optional<RulesWatch::Event> RulesWatch::poll() {
  const auto text = slurp(path_);
  if (!text) return Event{false, "rules file '" + path_ + "' cannot be read now; the rules in force stay"};
  if (*text == text_) return std::nullopt;
  try {
    load(*text);
  } catch (const UserError& e) {
    text_ = *text;  // report a broken version once, not at every poll
    return Event{false, std::string(e.what()) + "; the rules in force stay"};
  }
  ++reloads_;
  return Event{true, "rules reloaded from " + path_ + ": " + blocks_->describe()};
}

}  // namespace localist
