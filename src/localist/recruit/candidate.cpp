#include "localist/recruit/candidate.h"

#include <algorithm>
#include <map>
#include <set>

#include "localist/recruit/communities.h"
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

using Names = std::vector<std::pair<std::string, std::vector<std::string>>>;

// Shared or context targets: every block may read "other", so a split of it takes every side out.
bool shares_other(const RecruitConfig& rc) { return rc.targets == "shared" || rc.targets == "context"; }

// The candidate's rules: the parent loses the moved types, each new block lists its own, with
// the targets rc asks for and anchors re-chosen. c.tokens / c.more are re-read from the parsed
// rules (where two ids share a text, e.g. SentencePiece byte pieces, a rule holds what the text
// resolves to). false: the rules clash, or a side emptied.
bool complete(Candidate& c, const json& rules, const Names& names, const data::Tokenizer& tokenizer,
              const data::TokenFile& train, int64_t context_length, const RecruitConfig& rc) {
  // Shared tokens are the glue of many blocks, a small closed class (markers, function words,
  // punctuation). When a split of "other" sets apart as shared as many types as its blocks hold,
  // the company cannot tell glue from topic (one topic among its function words looks the same
  // from either side): no candidate (measured on one-topic corpora: docs/recruitment.md).
  size_t in_blocks = c.tokens.size();
  for (const auto& b : c.more) in_blocks += b.tokens.size();
  if (c.parent == 0 && !c.more.empty() && c.stay.size() >= in_blocks) return false;
  const json blocks = block_list(rules);
  const auto free_name = [&](const json& taken) {
    for (int64_t n = static_cast<int64_t>(names.size());; ++n) {
      const std::string name = "r" + std::to_string(n);
      const bool used = std::any_of(names.begin(), names.end(), [&](const auto& x) { return x.first == name; }) ||
                        std::any_of(taken.begin(), taken.end(), [&](const auto& b) { return b.at("name") == name; });
      if (!used) return name;
    }
  };
  const auto texts_of = [&](const std::vector<int64_t>& ids) {
    std::set<std::string> out;
    for (auto t : ids) out.insert(tokenizer.token_text(static_cast<int32_t>(t)));
    return std::vector<std::string>(out.begin(), out.end());
  };
  json doc = rules.is_object() ? rules : json::object();
  json list = blocks;
  if (c.parent > 0) {
    std::vector<int64_t> all = c.tokens;
    for (const auto& b : c.more) all.insert(all.end(), b.tokens.begin(), b.tokens.end());
    const auto moved = texts_of(all);
    json& p = list[c.parent - 1];
    json kept = json::array();
    for (const auto& t : p.value("tokens", json::array()))
      if (!std::binary_search(moved.begin(), moved.end(), t.get<std::string>())) kept.push_back(t);
    p["tokens"] = kept;
    p.erase("anchors");
  }
  const int64_t id = static_cast<int64_t>(list.size()) + 1;  // the first new block's id
  c.name = free_name(list);
  list.push_back({{"name", c.name}, {"tokens", texts_of(c.tokens)}});
  for (auto& b : c.more) {
    b.name = free_name(list);
    list.push_back({{"name", b.name}, {"tokens", texts_of(b.tokens)}});
  }
  doc["blocks"] = list;
  // "other" holds what no block claims (markers, punctuation, function words): as a hub it
  // reads every block, as it did before the split; shared, every block may read it too
  // (RecruitConfig::targets)
  if (rc.targets != "own") doc["targets"]["other"] = kEveryBlock;
  if (shares_other(rc)) doc["shared"] = "other";
  if (rc.targets == "context") set_context_targets(doc, tokenizer);
  try {
    const Rules parsed = parse_rules(doc, tokenizer, "vocab", "the candidate's rules");
    c.tokens.clear();
    for (auto& b : c.more) b.tokens.clear();
    for (const auto& [tok, block] : parsed.token_block)
      if (block == id) c.tokens.push_back(tok);
      else if (block > id && block <= id + static_cast<int64_t>(c.more.size())) c.more[block - id - 1].tokens.push_back(tok);
  } catch (const RulesError&) {
    return false;
  }
  std::sort(c.tokens.begin(), c.tokens.end());
  for (auto& b : c.more) std::sort(b.tokens.begin(), b.tokens.end());
  if (c.tokens.empty() || std::any_of(c.more.begin(), c.more.end(), [](const auto& b) { return b.tokens.empty(); }))
    return false;
  // anchors: re-chosen for the new block(s) and the parent (block 0's live in the global list)
  const auto anchors = choose_anchors(doc, tokenizer, train, context_length, rc.min_count);
  auto texts = [&](int64_t block) {
    auto it = anchors.find(block);
    return it == anchors.end() ? json::array() : token_texts(tokenizer, it->second);
  };
  for (int64_t b = id; b <= id + static_cast<int64_t>(c.more.size()); ++b) doc["blocks"][b - 1]["anchors"] = texts(b);
  c.anchors.clear();
  for (const auto& a : doc["blocks"][id - 1]["anchors"]) c.anchors.push_back(a.get<std::string>());
  if (c.parent > 0) {
    doc["blocks"][c.parent - 1]["anchors"] = texts(c.parent);
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
  return true;
}

// A block split all at once: each co-occurrence community of its types a block, the types
// every community shares left in the parent (recruit/communities.h). "other" gives every
// community a new block; a listed block keeps its largest and gives the others new blocks.
// nullopt: fewer than two communities, a partition decided recently, or rules that clash.
std::optional<Candidate> community_candidate(int64_t parent, const Confusion& confusion, const json& rules,
                                             const Names& names, std::vector<int64_t> types,
                                             const std::vector<int64_t>& quiet, const data::Tokenizer& tokenizer,
                                             const data::TokenFile& train, int64_t context_length,
                                             const RecruitConfig& rc, const std::set<std::string>& tried) {
  types.insert(types.end(), quiet.begin(), quiet.end());
  std::sort(types.begin(), types.end());
  const auto parts = shared_communities(train, types);
  if (parts.blocks.size() < 2) return std::nullopt;

  Candidate c;
  c.parent = parent, c.parent_name = names[parent].first, c.confused = confusion.confused_in_block[parent];
  const size_t first = parent == 0 ? 0 : 1;  // a listed block keeps its largest community
  c.tokens = parts.blocks[first];
  for (size_t b = first + 1; b < parts.blocks.size(); ++b) c.more.push_back({"", parts.blocks[b]});
  c.stay = parts.shared;
  if (first == 1) c.stay.insert(c.stay.end(), parts.blocks[0].begin(), parts.blocks[0].end());
  if (!complete(c, rules, names, tokenizer, train, context_length, rc) || tried.count(c.key())) return std::nullopt;
  return c;
}

}  // namespace

std::string Candidate::key() const {
  const auto text = [](const std::vector<int64_t>& side) {
    std::string k;
    for (auto t : side) k += std::to_string(t) + ",";
    return k;
  };
  std::vector<std::string> sides{text(tokens)};
  for (const auto& b : more) sides.push_back(text(b.tokens));
  std::sort(sides.begin(), sides.end());  // a partition is the same split whichever side is first
  std::string k = parent_name + ":";
  for (size_t i = 0; i < sides.size(); ++i) k += (i ? "|" : "") + sides[i];
  return k;
}

std::vector<int64_t> Candidate::block_sizes() const {
  std::vector<int64_t> out{static_cast<int64_t>(tokens.size())};
  for (const auto& b : more) out.push_back(static_cast<int64_t>(b.tokens.size()));
  return out;
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
  const bool shared_other = shares_other(rc);
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
    if (rc.split == "communities" && (shared_other || parent > 0))
      if (auto c = community_candidate(parent, confusion, rules, names, types, quiet, tokenizer, train, context_length,
                                       rc, tried))
        return c;
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
      if (shared_other && parent == 0) {
        auto sifted = sift_shared(train, c.tokens, c.stay);
        if (sifted.a.empty() || sifted.b.empty()) {  // the split was shared tokens against the rest:
          const std::set<int64_t> out(sifted.shared.begin(), sifted.shared.end());  // set them aside
          const auto before = pool.size();
          pool = without(pool, out), quiet = without(quiet, out);
          if (pool.size() == before) break;
          continue;
        }
        c.tokens = sifted.a, c.stay = sifted.shared;
        c.more.push_back({"", sifted.b});
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
      auto& other_side = c.more.empty() ? c.stay : c.more[0].tokens;
      settle_sides(train, c.tokens, other_side);
      if (c.tokens.empty() || other_side.empty()) {
        if (!set_aside(smaller)) break;
        continue;
      }
      if (!complete(c, rules, names, tokenizer, train, context_length, rc)) break;
      if (tried.count(c.key())) {
        std::vector<int64_t> side = smaller;
        side.insert(side.end(), c.tokens.begin(), c.tokens.end());
        if (!set_aside(side)) break;
        continue;
      }
      return c;
    }
  }
  return std::nullopt;
}

}  // namespace localist
