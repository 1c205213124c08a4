#include "localist/recruit/candidate.h"

#include <algorithm>
#include <map>
#include <set>

#include "localist/recruit/type_clusters.h"
#include "localist/blocks/info_anchors.h"
#include "localist/blocks/rules.h"

namespace localist {
namespace {

using json = nlohmann::json;

json block_list(const json& rules) {
  return rules.is_object() && rules.contains("blocks") ? rules.at("blocks") : json::array();
}

// Per block: the types with at least half the block's best within-block score (at most 16).
std::map<int64_t, std::vector<int64_t>> choose_anchors(const json& rules,
                                                       const data::Tokenizer& tokenizer,
                                                       const data::TokenFile& train,
                                                       int64_t context_length, int64_t min_count) {
  LocalistConfig lc;
  lc.blocks = "vocab";
  lc.anchors = "first";
  lc.rules = rules;
  const auto blocks = BlockMap::from_config(lc, tokenizer);
  const Rules parsed = rules_of(lc, tokenizer);
  InfoAnchorOptions opt;
  opt.n = train.vocab_size();
  opt.min_count = min_count;
  opt.within_block = true;
  std::map<int64_t, std::vector<AnchorScore>> by_block;
  for (const auto& s : info_anchors(train, blocks, context_length, opt)) {
    auto it = parsed.token_block.find(s.token);
    by_block[it == parsed.token_block.end() ? 0 : it->second].push_back(s);  // best first
  }
  std::map<int64_t, std::vector<int64_t>> out;
  for (const auto& [block, scores] : by_block) {
    const double best = scores.front().score_nats;
    if (best <= 0) continue;
    for (const auto& s : scores)
      if (s.score_nats >= 0.5 * best && out[block].size() < 16) out[block].push_back(s.token);
  }
  return out;
}

// Every listed block reads the block of its surrounding text ("@context"), not past a newline: a
// word quoted inside another block's text reads that text (rules.h).
void set_context_targets(json& doc, const data::Tokenizer& tokenizer) {
  for (const auto& b : doc.at("blocks")) doc["targets"][b.at("name").get<std::string>()] = kContextBlock;
  json breaks = json::array();
  for (int32_t id : tokenizer.encode("\n")) breaks.push_back(tokenizer.token_text(id));
  if (!breaks.empty()) doc["context_breaks"] = breaks;
}

// `from` less the types in `out`, in order.
std::vector<int64_t> without(const std::vector<int64_t>& from, const std::set<int64_t>& out) {
  std::vector<int64_t> kept;
  for (auto t : from)
    if (!out.count(t)) kept.push_back(t);
  return kept;
}

}  // namespace

std::string Candidate::key() const {
  std::string k = parent_name + ":";
  for (auto t : tokens) k += std::to_string(t) + ",";
  return k;
}

json token_texts(const data::Tokenizer& tokenizer, const std::vector<int64_t>& ids) {
  json a = json::array();
  for (auto id : ids) a.push_back(tokenizer.token_text(static_cast<int32_t>(id)));
  return a;
}

std::vector<std::pair<std::string, std::vector<std::string>>> rules_blocks(const json& rules) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out{{"other", {}}};
  for (const auto& b : block_list(rules)) {
    std::vector<std::string> toks;
    for (const auto& t : b.value("tokens", json::array())) toks.push_back(t.get<std::string>());
    out.emplace_back(b.at("name").get<std::string>(), toks);
  }
  return out;
}

std::optional<Candidate> propose_candidate(const Confusion& confusion, const json& rules,
                                           const data::Tokenizer& tokenizer,
                                           const data::TokenFile& train, int64_t context_length,
                                           const RecruitConfig& rc, const std::set<std::string>& tried) {
  const json blocks = block_list(rules);
  const auto names = rules_blocks(rules);
  std::vector<int64_t> order;  // blocks by confused queries, most first
  for (size_t b = 0; b < confusion.confused_in_block.size() && b < names.size(); ++b)
    if (confusion.confused_in_block[b] >= rc.min_confused) order.push_back(static_cast<int64_t>(b));
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
    return confusion.confused_in_block[x] > confusion.confused_in_block[y];
  });
  // every type's block under the current rules, and its count in the data the split reads
  const Rules current = parse_rules(rules.is_object() ? rules : json::object(), tokenizer, "vocab", "the rules");
  std::vector<int64_t> freq(train.vocab_size(), 0);
  for (int64_t i = 0; i < std::min(train.size(), TypeClusterOptions{}.max_tokens); ++i) ++freq[train[i]];
  for (const int64_t parent : order) {
    if (parent > 0 && blocks[parent - 1].contains("patterns")) continue;  // a pattern cannot be split by listing
    std::vector<int64_t> types;  // the confused types shape the split
    for (const auto& [tok, n] : confusion.confused_type)
      if (n >= rc.min_count && confusion.type_block.at(tok) == parent) types.push_back(tok);
    // the block's other types (seen min_count times in the training data) follow the side they
    // resemble: a class cut from a block must take its quiet members, e.g. anchors, along
    std::vector<int64_t> quiet;
    for (int64_t tok = 0; tok < train.vocab_size(); ++tok) {
      const auto it = current.token_block.find(tok);
      if (freq[tok] >= rc.min_count && (it == current.token_block.end() ? 0 : it->second) == parent &&
          !std::binary_search(types.begin(), types.end(), tok))
        quiet.push_back(tok);
    }
    // a split decided recently is set aside and the remaining types are split again, so every
    // part of the block gets its turn
    std::vector<int64_t> pool = types;
    while (pool.size() >= 2) {
      const auto split = split_types(train, pool, {}, quiet);
      if (split.a.empty() || split.b.empty()) break;
      Candidate c;
      c.parent = parent;
      c.parent_name = names[parent].first;
      c.confused = confusion.confused_in_block[parent];
      c.split_quality = split.total > 0 ? 1.0 - split.within / split.total : 0;
      const bool a_smaller = split.a.size() < split.b.size() ||
                             (split.a.size() == split.b.size() && split.a.front() > split.b.front());
      c.tokens = a_smaller ? split.a : split.b;
      c.stay = a_smaller ? split.b : split.a;

      // shared targets: a split of "other" takes both sides out of it, leaving it the types that
      // keep both sides' company (markers, function words, punctuation), which every block reads
      const bool shared_other = rc.targets == "shared" || rc.targets == "context";
      if (shared_other && parent == 0) {
        auto sifted = sift_shared(train, c.tokens, c.stay);
        if (sifted.a.empty() || sifted.b.empty()) {  // the split was shared tokens against the rest:
          const std::set<int64_t> out(sifted.shared.begin(), sifted.shared.end());  // set them aside
          const auto before = pool.size();
          pool = without(pool, out), quiet = without(quiet, out);
          if (pool.size() == before) break;
          continue;
        }
        c.tokens = sifted.a, c.second = sifted.b, c.stay = sifted.shared;
      }
      // the sides must follow the company their types keep: a cut inside one block dissolves
      // (its types fall back to the side that holds the block), and the next split is tried
      const auto set_aside = [&](const std::vector<int64_t>& side) {
        const std::set<int64_t> out(side.begin(), side.end());
        const auto before = pool.size();
        pool = without(pool, out), quiet = without(quiet, out);
        return pool.size() < before;
      };
      const std::vector<int64_t>& smaller = a_smaller ? split.a : split.b;
      auto& other_side = c.second.empty() ? c.stay : c.second;
      settle_sides(train, c.tokens, other_side);
      if (c.tokens.empty() || other_side.empty()) {
        if (!set_aside(smaller)) break;
        continue;
      }
      // the new rules: the parent loses the moved types, the new block(s) list them
      const auto free_name = [&](const json& taken) {
        for (int64_t n = static_cast<int64_t>(names.size());; ++n) {
          const std::string name = "r" + std::to_string(n);
          const bool used = std::any_of(names.begin(), names.end(), [&](const auto& x) { return x.first == name; }) ||
                            std::any_of(taken.begin(), taken.end(), [&](const auto& b) { return b.at("name") == name; });
          if (!used) return name;
        }
      };
      json doc = rules.is_object() ? rules : json::object();
      json list = blocks;
      const auto texts_of = [&](const std::vector<int64_t>& ids) {
        std::set<std::string> out;
        for (auto t : ids) out.insert(tokenizer.token_text(static_cast<int32_t>(t)));
        return out;
      };
      const auto moved = texts_of(c.tokens), second = texts_of(c.second);
      if (parent > 0) {
        json& p = list[parent - 1];
        json kept = json::array();
        for (const auto& t : p.value("tokens", json::array()))
          if (!moved.count(t.get<std::string>())) kept.push_back(t);
        p["tokens"] = kept;
        p.erase("anchors");
      }
      c.name = free_name(list);
      list.push_back({{"name", c.name}, {"tokens", json(std::vector<std::string>(moved.begin(), moved.end()))}});
      if (!second.empty()) {
        c.second_name = free_name(list);
        list.push_back({{"name", c.second_name}, {"tokens", json(std::vector<std::string>(second.begin(), second.end()))}});
      }
      doc["blocks"] = list;
      // "other" holds what no block claims (markers, punctuation, function words): as a hub it
      // reads every block, as it did before the split; shared, every block may read it too
      // (RecruitConfig::targets)
      if (rc.targets != "own") doc["targets"]["other"] = kEveryBlock;
      if (shared_other) doc["shared"] = "other";
      if (rc.targets == "context") set_context_targets(doc, tokenizer);
      // rules name tokens by text; where two ids share a text (byte pieces of SentencePiece) the
      // rule holds what the text resolves to: keep exactly that, or skip a split that clashes
      const int64_t id = static_cast<int64_t>(list.size()) - (second.empty() ? 0 : 1);  // the new block
      try {
        const Rules parsed = parse_rules(doc, tokenizer, "vocab", "the candidate's rules");
        c.tokens.clear(), c.second.clear();
        for (const auto& [tok, block] : parsed.token_block)
          if (block == id) c.tokens.push_back(tok);
          else if (block == id + 1) c.second.push_back(tok);
        std::sort(c.tokens.begin(), c.tokens.end());
        std::sort(c.second.begin(), c.second.end());
      } catch (const RulesError&) {
        break;
      }
      if (c.tokens.empty() || (!second.empty() && c.second.empty())) break;
      if (tried.count(c.key())) {
        std::vector<int64_t> side = smaller;
        side.insert(side.end(), c.tokens.begin(), c.tokens.end());
        if (!set_aside(side)) break;
        continue;
      }
      // anchors: re-chosen for the new block(s) and the parent (block 0's live in the global list)
      const auto anchors = choose_anchors(doc, tokenizer, train, context_length, rc.min_count);
      auto texts = [&](int64_t block) {
        auto it = anchors.find(block);
        return it == anchors.end() ? json::array() : token_texts(tokenizer, it->second);
      };
      doc["blocks"][id - 1]["anchors"] = texts(id);
      for (const auto& a : doc["blocks"][id - 1]["anchors"]) c.anchors.push_back(a.get<std::string>());
      if (!second.empty()) doc["blocks"][id]["anchors"] = texts(id + 1);
      if (parent > 0) {
        doc["blocks"][parent - 1]["anchors"] = texts(parent);
      } else {
        // keep listed anchors that fall in listed blocks; block 0's are chosen anew
        std::set<std::string> listed;
        for (const auto& [name, toks] : rules_blocks(doc)) listed.insert(toks.begin(), toks.end());
        json global = json::array();
        for (const auto& t : doc.value("anchors", json::array()))
          if (listed.count(t.get<std::string>())) global.push_back(t);
        for (const auto& a : texts(0))
          if (std::find(global.begin(), global.end(), a) == global.end()) global.push_back(a);
        doc["anchors"] = global;
      }
      for (auto& b : doc["blocks"])
        if (b.contains("anchors") && b["anchors"].empty()) b.erase("anchors");
      if (doc.contains("anchors") && doc["anchors"].empty()) doc.erase("anchors");
      c.rules = doc;
      return c;
    }
  }
  return std::nullopt;
}

}  // namespace localist
