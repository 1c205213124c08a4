// localist blocks: the semantic blocks of a run, with their tokens and anchors, the recruitment
// decisions that made them (recruit.jsonl), and, on the synthetic corpus, how well they match
// the true blocks (adjusted Rand index and purity over word types).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "commands.h"
#include "localist/core/progress.h"
#include "localist/data/corpus.h"
#include "localist/data/synthetic.h"
#include "localist/metrics/cluster_agreement.h"
#include "localist/blocks/rules.h"
#include "localist/run/checkpoint.h"

namespace localist::app {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct BlocksArgs {
  std::string run;
  int64_t show = 40;  // tokens printed per block (0 = all)
  bool json = false;
};

std::string joined(const std::vector<std::string>& items, int64_t show) {
  std::string s;
  const int64_t n = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < n && (show == 0 || i < show); ++i) s += (i ? " " : "") + json(items[i]).dump();
  if (show > 0 && n > show) s += " ... (+" + std::to_string(n - show) + ")";
  return s.empty() ? "-" : s;
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
  std::map<int64_t, int64_t> truth;  // type -> true block (one per type by construction)
  for (size_t t = 0; t < ids.size(); ++t)
    if (corpus.role[t] != data::SyntheticRole::End) truth[ids[t]] = corpus.block[t];
  std::vector<int64_t> a, b;
  for (const auto& [type, block] : truth) {
    auto it = rules.token_block.find(type);
    a.push_back(block);
    b.push_back(it == rules.token_block.end() ? 0 : it->second);
  }
  return {{"types", a.size()}, {"true_blocks", spec.n_blocks},
          {"adjusted_rand_index", adjusted_rand_index(a, b)}, {"purity", purity(a, b)}};
}

void run_blocks(const BlocksArgs& a) {
  const auto meta = read_checkpoint_meta(find_checkpoint_dir(a.run));
  const auto tok = data::tokenizer_from_json(meta.tokenizer);
  const auto& lc = meta.localist;
  json out = {{"run", a.run}, {"step", meta.step}, {"block_map", lc.blocks}};
  if (lc.blocks != "vocab") {
    out["blocks"] = json::array();
    out["note"] = "blocks = " + lc.blocks + ": positional, not token classes (only vocab blocks are listed)";
  } else {
    const Rules rules = rules_of(lc, *tok);
    std::vector<std::vector<std::string>> members(rules.block_names.size());
    std::vector<std::vector<std::string>> anchors(rules.block_names.size());
    for (int32_t id = 0; id < static_cast<int32_t>(tok->vocab_size()); ++id) {
      auto it = rules.token_block.find(id);
      const int64_t b = it == rules.token_block.end() ? 0 : it->second;
      members[b].push_back(tok->token_text(id));
      if (rules.anchor_tokens.count(id)) anchors[b].push_back(tok->token_text(id));
    }
    json blocks = json::array();
    for (size_t b = 0; b < members.size(); ++b)
      blocks.push_back({{"id", b}, {"name", rules.block_names[b]}, {"types", members[b].size()},
                        {"anchors", anchors[b]}, {"tokens", members[b]}});
    out["blocks"] = blocks;
    if (meta.data.source == "synthetic") out["agreement"] = synthetic_agreement(meta, *tok, rules);
  }
  // the audit log beside the checkpoint: decisions up to the checkpoint's step
  const auto dir = fs::path(find_checkpoint_dir(a.run)).parent_path();
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
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << "run " << a.run << " (step " << meta.step << "): blocks = " << lc.blocks;
  if (meta.recruit.enabled)
    std::cout << ", recruitment on (theta " << meta.recruit.theta << " nats/token): " << accepted
              << " accepted, " << rejected << " rejected, " << other << " without a candidate";
  std::cout << "\n";
  if (out.contains("note")) std::cout << out["note"].get<std::string>() << "\n";
  for (const auto& b : out["blocks"]) {
    std::printf("block %lld %s: %lld types\n  anchors: %s\n  tokens:  %s\n",
                static_cast<long long>(b["id"].get<int64_t>()), b["name"].get<std::string>().c_str(),
                static_cast<long long>(b["types"].get<int64_t>()),
                joined(b["anchors"].get<std::vector<std::string>>(), a.show).c_str(),
                joined(b["tokens"].get<std::vector<std::string>>(), a.show).c_str());
  }
  for (const auto& r : decisions) {
    if (r.value("decision", "") != "accept" && r.value("decision", "") != "reject") continue;
    const auto& t = r["terms"];
    std::printf("step %lld: %s %s (%lld types from %s): dL_model %+.4f, dL_data %+.4f, dL_total %+.4f nats/token\n",
                static_cast<long long>(r["step"].get<int64_t>()), r["decision"].get<std::string>().c_str(),
                r["block"].get<std::string>().c_str(), static_cast<long long>(r["types"].get<int64_t>()),
                r["parent"].get<std::string>().c_str(), t["delta_L_model"].get<double>(),
                t["delta_L_data"].get<double>(), t["delta_L_total"].get<double>());
  }
  if (out.contains("agreement") && out["agreement"].contains("adjusted_rand_index")) {
    const auto& g = out["agreement"];
    std::printf("agreement with the synthetic corpus's %lld true blocks over %lld word types: "
                "adjusted Rand index %.3f, purity %.3f\n",
                static_cast<long long>(g["true_blocks"].get<int64_t>()),
                static_cast<long long>(g["types"].get<int64_t>()),
                g["adjusted_rand_index"].get<double>(), g["purity"].get<double>());
  }
}

}  // namespace

void add_blocks(CLI::App& app) {
  auto* cmd = app.add_subcommand("blocks", "a run's semantic blocks: tokens, anchors, recruitment decisions");
  auto a = std::make_shared<BlocksArgs>();
  cmd->add_option("run", a->run, "run or checkpoint directory")->required();
  cmd->add_option("--show", a->show, "tokens shown per block (0 = all)")->capture_default_str();
  cmd->add_flag("--json", a->json, "print everything as one JSON object");
  cmd->callback([a] { run_blocks(*a); });
}

}  // namespace localist::app
