#include "localist/report/blocks_report.h"

#include <filesystem>
#include <string>
#include <map>
#include <set>

#include "localist/blocks/rules.h"
#include "localist/core/errors.h"
#include "localist/core/json_text.h"
#include "localist/core/progress.h"
#include "localist/data/corpus.h"
#include "localist/data/synthetic.h"
#include "localist/metrics/block_recovery.h"
#include "localist/run/checkpoint.h"

namespace localist {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The recovered classes: token id -> block (unlisted: 0, "other").
std::map<int64_t, int64_t> recovered(const Rules& rules) {
  return std::map<int64_t, int64_t>(rules.token_block.begin(), rules.token_block.end());
}

// Agreement of the recovered token classes with the synthetic corpus's true blocks, over the
// word types of its training split (anchors and words; the <eos> has no block of its own).
json synthetic_agreement(const CheckpointMeta& meta, const data::Tokenizer& tok, const Rules& rules) {
  const auto spec = data::synthetic_split_spec(meta.data, "train");
  const auto corpus = data::generate_synthetic(spec);
  const auto ids = tok.encode(corpus.text);
  // the truth is per word-tokenizer token; another tokenizer does not line up with it
  if (static_cast<int64_t>(ids.size()) != corpus.size())
    return {{"note", "the run's tokenizer does not split the synthetic corpus into its words; no agreement"}};
  std::vector<TrueBlock> truth(spec.n_blocks);
  std::set<int64_t> seen;
  for (size_t t = 0; t < ids.size(); ++t)
    if (corpus.role[t] != data::SyntheticRole::End && seen.insert(ids[t]).second) truth[corpus.block[t]].types.push_back(ids[t]);
  for (int64_t i = 0; i < spec.n_blocks; ++i) truth[i].name = data::synthetic_anchor(i, 0).substr(0, 1);
  return block_recovery(truth, recovered(rules));
}

// Agreement with a truth file (`localist synth --family topics` writes DIR/truth.json): its
// blocks' types looked up in the run's vocabulary; shared tokens do not count.
json truth_agreement(const std::string& path, const data::Tokenizer& tok, const Rules& rules) {
  const auto j = read_json_object_file(path, "truth file: ");
  if (!j.contains("blocks") || !j["blocks"].is_array())
    throw DataError("truth file '" + path + "' has no `blocks` array (not written by localist synth --family topics?)");
  std::map<std::string, int64_t> id_of;
  for (int32_t id = 0; id < static_cast<int32_t>(tok.vocab_size()); ++id) id_of.emplace(tok.token_text(id), id);
  std::vector<TrueBlock> truth;
  int64_t unknown = 0;
  for (const auto& b : j["blocks"]) {
    if (!b.is_object() || !b.contains("types") || !b["types"].is_array())
      throw DataError("truth file '" + path + "': a block without a `types` array");
    TrueBlock t{b.value("name", "T" + std::to_string(truth.size())), {}};
    for (const auto& type : b["types"]) {
      if (!type.is_string()) throw DataError("truth file '" + path + "': a type that is not a string");
      const auto it = id_of.find(type.get<std::string>());
      if (it == id_of.end()) ++unknown;
      else t.types.push_back(it->second);
    }
    truth.push_back(t);
  }
  auto out = block_recovery(truth, recovered(rules));
  out["truth"] = path;
  out["types_not_in_vocabulary"] = unknown;
  return out;
}

// The blocks as token classes (vocab blocks only), with their agreement with the true blocks.
void add_blocks(json& out, const CheckpointMeta& meta, const data::Tokenizer& tok, const std::string& truth) {
  const auto& lc = meta.localist;
  if (lc.blocks != "vocab") {
    out["blocks"] = json::array();
    out["note"] = "blocks = " + lc.blocks + ": positional, not token classes (only vocab blocks are listed)";
  } else {
    const Rules rules = rules_of(lc, tok);
    std::vector<std::vector<std::string>> members(rules.block_names.size());
    std::vector<std::vector<std::string>> anchors(rules.block_names.size());
    for (int32_t id = 0; id < static_cast<int32_t>(tok.vocab_size()); ++id) {
      auto it = rules.token_block.find(id);
      const int64_t b = it == rules.token_block.end() ? 0 : it->second;
      members[b].push_back(tok.token_text(id));
      if (rules.anchor_tokens.count(id)) anchors[b].push_back(tok.token_text(id));
    }
    json blocks = json::array();
    for (size_t b = 0; b < members.size(); ++b)
      blocks.push_back({{"id", b}, {"name", rules.block_names[b]}, {"types", members[b].size()},
                        {"anchors", anchors[b]}, {"tokens", members[b]}});
    out["blocks"] = blocks;
    if (!truth.empty()) out["agreement"] = truth_agreement(truth, tok, rules);
    else if (meta.data.source == "synthetic") out["agreement"] = synthetic_agreement(meta, tok, rules);
  }
}

// The recruitment decisions beside the checkpoint, up to its step.
void add_decisions(json& out, const CheckpointMeta& meta, const std::string& run) {
  const auto dir = fs::path(find_checkpoint_dir(run)).parent_path();
  json decisions = json::array();
  int64_t accepted = 0, rejected = 0, other = 0;
  for (auto& r : MetricsLog((dir / "recruit.jsonl").string()).read_until(meta.step)) {
    const auto d = r.value("decision", "");
    (d == "accept" ? accepted : d == "reject" ? rejected : other) += 1;
    decisions.push_back(r);
  }
  out["recruit"] = {{"enabled", meta.recruit.enabled}, {"theta", meta.recruit.theta},
                    {"accepted", accepted}, {"rejected", rejected}, {"no_candidate_or_cap", other},
                    {"decisions", decisions}};
}

std::string joined(const std::vector<std::string>& items, int64_t show) {
  std::string s;
  const int64_t n = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < n && (show == 0 || i < show); ++i) s += (i ? " " : "") + json(items[i]).dump();
  if (show > 0 && n > show) s += " ... (+" + std::to_string(n - show) + ")";
  return s.empty() ? "-" : s;
}

}  // namespace

json blocks_report(const std::string& run, const std::string& truth) {
  const auto meta = read_checkpoint_meta(find_checkpoint_dir(run));
  const auto tok = data::tokenizer_from_json(meta.tokenizer);
  json out = {{"run", run}, {"step", meta.step}, {"block_map", meta.localist.blocks}};
  add_blocks(out, meta, *tok, truth);
  add_decisions(out, meta, run);
  return out;
}

void print_blocks_report(std::FILE* out, const json& r, int64_t show) {
  const auto& rec = r["recruit"];
  std::fprintf(out, "run %s (step %s): blocks = %s", r["run"].get<std::string>().c_str(), r["step"].dump().c_str(),
               r["block_map"].get<std::string>().c_str());
  if (rec["enabled"].get<bool>())
    std::fprintf(out, ", recruitment on (theta %s nats/token): %s accepted, %s rejected, %s without a candidate",
                 rec["theta"].dump().c_str(), rec["accepted"].dump().c_str(), rec["rejected"].dump().c_str(),
                 rec["no_candidate_or_cap"].dump().c_str());
  std::fprintf(out, "\n");
  if (r.contains("note")) std::fprintf(out, "%s\n", r["note"].get<std::string>().c_str());
  for (const auto& b : r["blocks"]) {
    std::fprintf(out, "block %lld %s: %lld types\n  anchors: %s\n  tokens:  %s\n",
                static_cast<long long>(b["id"].get<int64_t>()), b["name"].get<std::string>().c_str(),
                static_cast<long long>(b["types"].get<int64_t>()),
                joined(b["anchors"].get<std::vector<std::string>>(), show).c_str(),
                joined(b["tokens"].get<std::vector<std::string>>(), show).c_str());
  }
  for (const auto& d : rec["decisions"]) {
    if (d.value("decision", "") != "accept" && d.value("decision", "") != "reject") continue;
    const auto& t = d["terms"];
    std::fprintf(out, "step %lld: %s %s (%lld types from %s): dL_model %+.4f, dL_data %+.4f, dL_total %+.4f nats/token\n",
                static_cast<long long>(d["step"].get<int64_t>()), d["decision"].get<std::string>().c_str(),
                d["block"].get<std::string>().c_str(), static_cast<long long>(d["types"].get<int64_t>()),
                d["parent"].get<std::string>().c_str(), t["delta_L_model"].get<double>(),
                t["delta_L_data"].get<double>(), t["delta_L_total"].get<double>());
  }
  if (r.contains("agreement") && r["agreement"].contains("adjusted_rand_index")) {
    const auto& g = r["agreement"];
    std::fprintf(out, "agreement with the %lld true blocks over %lld word types (shared tokens aside): "
                "adjusted Rand index %.3f, purity %.3f, %lld of %lld recovered exactly\n",
                static_cast<long long>(g["true_blocks"].get<int64_t>()),
                static_cast<long long>(g["types"].get<int64_t>()), g["adjusted_rand_index"].get<double>(),
                g["purity"].get<double>(), static_cast<long long>(g["exact"].get<int64_t>()),
                static_cast<long long>(g["true_blocks"].get<int64_t>()));
    for (const auto& b : g["blocks"])
      std::fprintf(out, "  %s: %lld types, %.0f %% in class %lld with %lld foreign types%s\n",
                  b["name"].get<std::string>().c_str(), static_cast<long long>(b["types"].get<int64_t>()),
                  100 * b["share"].get<double>(), static_cast<long long>(b["class"].get<int64_t>()),
                  static_cast<long long>(b["foreign"].get<int64_t>()), b["exact"].get<bool>() ? " (exact)" : "");
  }
}

}  // namespace localist
