#include "localist/blocks/rules.h"

#include <fstream>
#include <regex>
#include <sstream>

#include "localist/core/json_text.h"
#include "localist/blocks/json_lines.h"

namespace localist {
namespace {

using nlohmann::json;

// "/blocks/1/tokens/3" -> "blocks[1].tokens[3]"
std::string field_of(const std::string& pointer) {
  std::string out;
  std::stringstream ss(pointer.substr(pointer.empty() ? 0 : 1));
  std::string part;
  while (std::getline(ss, part, '/')) {
    const bool index = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    out += index ? "[" + part + "]" : (out.empty() ? "" : ".") + part;
  }
  return out.empty() ? "(top level)" : out;
}

class Checker {
 public:
  Checker(const std::string& source, const std::string* text) : source_(source) {
    if (text) lines_ = rules::json_lines(*text);
  }
  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const {
    std::string where = source_;
    auto it = lines_.find(pointer);
    if (it != lines_.end()) where += ":" + std::to_string(it->second);
    throw RulesError(where + ": " + field_of(pointer) + ": " + message);
  }
  const json& object(const json& j, const std::string& pointer) const {
    if (!j.is_object()) fail(pointer, "expected an object, got " + j.dump());
    return j;
  }
  const json& array(const json& j, const std::string& pointer) const {
    if (!j.is_array()) fail(pointer, "expected a list, got " + j.dump());
    return j;
  }
  std::string string(const json& j, const std::string& pointer) const {
    if (!j.is_string()) fail(pointer, "expected a string, got " + j.dump());
    return j.get<std::string>();
  }
  void only_fields(const json& j, const std::string& pointer,
                   const std::vector<std::string>& allowed) const {
    for (const auto& [key, v] : j.items())
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(pointer + "/" + key, "unknown field; expected one of: " + list);
      }
  }

 private:
  std::string source_;
  rules::JsonLines lines_;
};

// Token text -> id, as Tokenizer::token_text shows tokens (first id wins); words the text
// lookup misses (e.g. "<eos>") are accepted when they encode to one known token.
class TokenLookup {
 public:
  explicit TokenLookup(const data::Tokenizer& t) : t_(t) {
    for (int32_t id = 0; id < t.vocab_size(); ++id) ids_.emplace(t.token_text(id), id);
  }
  int64_t find(const std::string& text) const {
    if (auto it = ids_.find(text); it != ids_.end()) return it->second;
    auto ids = t_.encode(text);
    if (ids.size() == 1 && t_.token_text(ids[0]) != "<unk>") return ids[0];
    return -1;
  }
  const std::unordered_map<std::string, int32_t>& all() const { return ids_; }

 private:
  const data::Tokenizer& t_;
  std::unordered_map<std::string, int32_t> ids_;
};

std::string kind_of(const std::string& blocks) {
  return blocks.rfind("window:", 0) == 0 ? "window" : blocks;
}

}  // namespace

Rules parse_rules(const json& doc, const data::Tokenizer& tokenizer, const std::string& block_kind,
                  const std::string& source, const std::string* text) {
  const Checker c(source, text);
  const TokenLookup lookup(tokenizer);
  c.object(doc, "");
  c.only_fields(doc, "", {"blocks", "targets", "shared", "context_window", "context_breaks", "target_offset", "anchors"});
  Rules r;
  r.block_names = {"other"};
  auto token = [&](const json& j, const std::string& pointer) {
    const std::string s = c.string(j, pointer);
    const int64_t id = lookup.find(s);
    if (id < 0) c.fail(pointer, "token " + json(s).dump() + " is not in the model's vocabulary");
    return id;
  };
  auto block_id = [&](const std::string& name, const std::string& pointer) {
    for (size_t i = 0; i < r.block_names.size(); ++i)
      if (r.block_names[i] == name) return static_cast<int64_t>(i);
    std::string list;
    for (const auto& n : r.block_names) list += (list.empty() ? "" : ", ") + n;
    c.fail(pointer, "block " + json(name).dump() + " does not exist (blocks: " + list + ")");
  };

  if (doc.contains("blocks")) {
    if (block_kind != "vocab")
      c.fail("/blocks", "token classes need " + setting("blocks") + " vocab (the block map is " + block_kind + ")");
    const auto& blocks = c.array(doc.at("blocks"), "/blocks");
    // an empty list is one block, "other": where block recruitment (recruit/) starts
    for (size_t b = 0; b < blocks.size(); ++b) {
      const std::string p = "/blocks/" + std::to_string(b);
      c.object(blocks[b], p);
      c.only_fields(blocks[b], p, {"name", "tokens", "patterns", "anchors", "lambda_scale"});
      if (!blocks[b].contains("name")) c.fail(p, "missing field 'name'");
      const std::string name = c.string(blocks[b].at("name"), p + "/name");
      if (name.empty()) c.fail(p + "/name", "a block needs a non-empty name");
      for (const auto& n : r.block_names)
        if (n == name) c.fail(p + "/name", "block " + json(name).dump() + " is named twice");
      const int64_t id = static_cast<int64_t>(r.block_names.size());
      r.block_names.push_back(name);
      auto assign = [&](int64_t tok, const std::string& pointer) {
        auto [it, fresh] = r.token_block.emplace(tok, id);
        if (!fresh && it->second != id)
          c.fail(pointer, "token " + json(tokenizer.token_text(static_cast<int32_t>(tok))).dump() +
                              " is already in block " + json(r.block_names[it->second]).dump());
      };
      if (blocks[b].contains("tokens")) {
        const auto& toks = c.array(blocks[b].at("tokens"), p + "/tokens");
        for (size_t k = 0; k < toks.size(); ++k) {
          const std::string tp = p + "/tokens/" + std::to_string(k);
          assign(token(toks[k], tp), tp);
        }
      }
      if (blocks[b].contains("patterns")) {
        const auto& pats = c.array(blocks[b].at("patterns"), p + "/patterns");
        for (size_t k = 0; k < pats.size(); ++k) {
          const std::string pp = p + "/patterns/" + std::to_string(k);
          std::regex re;
          try {
            re = std::regex(c.string(pats[k], pp));
          } catch (const std::regex_error& e) {
            c.fail(pp, std::string("not a valid regular expression: ") + e.what());
          }
          int matched = 0;
          for (const auto& [tok_text, tok] : lookup.all())
            if (std::regex_match(tok_text, re)) assign(tok, pp), ++matched;
          if (matched == 0) c.fail(pp, "the pattern matches no token of the vocabulary");
        }
      }
      if (!blocks[b].contains("tokens") && !blocks[b].contains("patterns"))
        c.fail(p, "a block needs 'tokens' or 'patterns'");
      if (blocks[b].contains("anchors")) {
        const auto& anc = c.array(blocks[b].at("anchors"), p + "/anchors");
        for (size_t k = 0; k < anc.size(); ++k) {
          const std::string ap = p + "/anchors/" + std::to_string(k);
          const int64_t tok = token(anc[k], ap);
          auto it = r.token_block.find(tok);
          if (it == r.token_block.end() || it->second != id)
            c.fail(ap, "anchor " + anc[k].dump() + " is not one of block " + json(name).dump() +
                           "'s tokens (an anchor points to its own block)");
          r.anchor_tokens.insert(tok);
        }
      }
      if (blocks[b].contains("lambda_scale")) {
        const auto& v = blocks[b].at("lambda_scale");
        if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1)
          c.fail(p + "/lambda_scale", "expected a number in [0, 1], got " + v.dump());
        r.lambda_scale[id] = v.get<double>();
      }
    }
  } else if (block_kind == "vocab") {
    c.fail("", setting("blocks") + " vocab needs a 'blocks' list of token classes");
  }

  if (doc.contains("targets")) {
    if (block_kind != "vocab")
      c.fail("/targets", "targets name vocab blocks; with " + setting("blocks") + " " + block_kind +
                             " use target_offset");
    const auto& t = c.object(doc.at("targets"), "/targets");
    for (const auto& [query, target] : t.items()) {
      const std::string p = "/targets/" + query;
      const int64_t q = block_id(query, p);
      const std::string name = c.string(target, p);
      r.target[q] = name == kEveryBlock     ? -1  // no one target: the dial leaves it be
                    : name == kContextBlock ? kContextTarget
                                            : block_id(name, p);
    }
  }
  if (doc.contains("shared")) {
    if (block_kind != "vocab") c.fail("/shared", "a shared block names a vocab block; with " + setting("blocks") + " " + block_kind + " there is none");
    r.shared_block = block_id(c.string(doc.at("shared"), "/shared"), "/shared");
  }
  if (doc.contains("context_window")) {
    if (block_kind != "vocab") c.fail("/context_window", "\"@context\" targets need " + setting("blocks") + " vocab (the block map is " + block_kind + ")");
    const auto& v = doc.at("context_window");
    if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 1000000)
      c.fail("/context_window", "expected a whole number of positions >= 1, got " + v.dump());
    r.context_window = v.get<int64_t>();
  }
  if (doc.contains("context_breaks")) {
    if (block_kind != "vocab") c.fail("/context_breaks", "\"@context\" targets need " + setting("blocks") + " vocab (the block map is " + block_kind + ")");
    const auto& brk = c.array(doc.at("context_breaks"), "/context_breaks");
    for (size_t k = 0; k < brk.size(); ++k)
      r.context_breaks.insert(token(brk[k], "/context_breaks/" + std::to_string(k)));
  }
  if (doc.contains("target_offset")) {
    if (block_kind == "vocab")
      c.fail("/target_offset", "an offset between vocab classes means nothing; use targets");
    const auto& v = doc.at("target_offset");
    if (!v.is_number_integer()) c.fail("/target_offset", "expected an integer, got " + v.dump());
    r.target_offset = v.get<int64_t>();
  }
  if (doc.contains("anchors")) {
    const auto& anc = c.array(doc.at("anchors"), "/anchors");
    for (size_t k = 0; k < anc.size(); ++k)
      r.anchor_tokens.insert(token(anc[k], "/anchors/" + std::to_string(k)));
  }
  return r;
}

json read_rules_json(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PathError("rules file '" + path + "' cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  if (text) *text = ss.str();
  return parse_rules_json(ss.str(), path);
}

json parse_rules_json(const std::string& text, const std::string& source) {
  std::string error;
  size_t byte = 0;
  json doc = parse_json_text(text, &error, &byte);
  if (doc.is_discarded())
    throw RulesError(source + ":" + std::to_string(rules::line_of_offset(text, byte)) +
                     ": not valid JSON (" + error + ")");
  return doc;
}

Rules rules_from_text(const std::string& blocks, const std::string& text, const std::string& source,
                      const data::Tokenizer& tokenizer, json* doc) {
  json j = parse_rules_json(text, source);
  Rules r = parse_rules(j, tokenizer, kind_of(blocks), source, &text);
  if (doc) *doc = std::move(j);
  return r;
}

Rules rules_of(const LocalistConfig& config, const data::Tokenizer& tokenizer, json* doc) {
  const std::string kind = kind_of(config.blocks);
  if (config.rules.is_null() && !config.rules_file.empty()) {
    std::string text;
    read_rules_json(config.rules_file, &text);
    return rules_from_text(config.blocks, text, config.rules_file, tokenizer, doc);
  }
  if (doc) *doc = config.rules;
  if (config.rules.is_null()) {
    if (kind == "vocab") throw ConfigError("blocks = vocab needs a rules file (" + setting("rules_file") + " FILE)");
    return {};
  }
  return parse_rules(config.rules, tokenizer, kind, "the checkpoint's rules");
}

}  // namespace localist
