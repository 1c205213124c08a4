#include "localist/data/word_tokenizer.h"

#include <algorithm>

#include "localist/core/errors.h"
#include "localist/data/utf8.h"

namespace localist::data {
namespace {

constexpr int kWordFormat = 1;
const char kUnkText[] = "<unk>";
const char kEosText[] = "<eos>";

}  // namespace

WordTokenizer::WordTokenizer(std::vector<std::string> words) {
  vocab_.reserve(words.size() + 2);
  vocab_.push_back(kUnkText);
  vocab_.push_back(kEosText);
  id_of_.reserve(words.size() + 2);
  id_of_.emplace(kUnkText, kUnk);
  id_of_.emplace(kEosText, kEos);
  for (auto& w : words) {
    const auto id = static_cast<int32_t>(vocab_.size());
    if (w.empty() || !id_of_.emplace(w, id).second)
      throw DataError("tokenizer word: vocabulary entry '" + w + "' is empty or repeated");
    vocab_.push_back(std::move(w));
  }
}

std::unique_ptr<WordTokenizer> WordTokenizer::train(const std::string& text, int64_t cap) {
  if (cap != 0 && cap < 3)
    throw ConfigError("tokenizer_vocab = " + std::to_string(cap) +
                      " is too small for the word tokenizer; expected 0 (no cap) or >= 3 "
                      "(<unk>, <eos> and at least one word)");
  // Words become JSON strings in checkpoints, which must be valid UTF-8.
  const size_t bad = first_invalid_utf8(text);
  if (bad != std::string::npos)
    throw DataError("tokenizer word: training text is not valid UTF-8 at byte " +
                    std::to_string(bad) + "; convert it to UTF-8 or use " + setting("tokenizer") + " char");
  std::unordered_map<std::string, int64_t> count;
  split(text, [&](std::string_view w) {
    if (w != "\n" && w != kUnkText && w != kEosText) ++count[std::string(w)];
  });
  std::vector<std::pair<std::string, int64_t>> sorted(count.begin(), count.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (cap > 0 && static_cast<int64_t>(sorted.size()) > cap - 2) sorted.resize(cap - 2);
  std::vector<std::string> words;
  words.reserve(sorted.size());
  for (auto& [w, c] : sorted) words.push_back(std::move(w));
  return std::make_unique<WordTokenizer>(std::move(words));
}

std::unique_ptr<WordTokenizer> WordTokenizer::from_json(const nlohmann::json& j) {
  return std::make_unique<WordTokenizer>(j.at("words").get<std::vector<std::string>>());
}

std::vector<int32_t> WordTokenizer::encode(const std::string& text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 5);
  std::string key;  // reused: one allocation for the whole text
  split(text, [&](std::string_view w) {
    if (w == "\n") {
      ids.push_back(kEos);
      return;
    }
    key.assign(w.data(), w.size());
    const auto it = id_of_.find(key);
    ids.push_back(it == id_of_.end() ? kUnk : it->second);
  });
  return ids;
}

std::string WordTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  bool line_start = true;
  for (int32_t id : ids) {
    check_token_id("word", id, vocab_size());
    if (id == kEos) {
      out += '\n';
      line_start = true;
    } else {
      if (!line_start) out += ' ';
      out += vocab_[id];
      line_start = false;
    }
  }
  return out;
}

nlohmann::json WordTokenizer::to_json() const {
  return {{"kind", "word"},
          {"format", kWordFormat},
          {"words", std::vector<std::string>(vocab_.begin() + 2, vocab_.end())}};
}

std::string WordTokenizer::token_text(int32_t id) const {
  check_token_id("word", id, vocab_size());
  return id == kEos ? "\n" : vocab_[id];
}

}  // namespace localist::data
