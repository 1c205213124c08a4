// localist blocks: the semantic blocks of a run, with their tokens and anchors, the recruitment
// decisions that made them (recruit.jsonl), and, on the synthetic corpus or against a truth file
// (--truth), how well they match the true blocks (report/blocks_report.h; printed here).
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "localist/report/blocks_report.h"

namespace localist::app {
namespace {

using json = nlohmann::json;

struct BlocksArgs {
  std::string run;
  int64_t show = 40;  // tokens printed per block (0 = all)
  bool json = false;
  std::string truth;  // a truth.json to measure the blocks against
};

std::string joined(const std::vector<std::string>& items, int64_t show) {
  std::string s;
  const int64_t n = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i < n && (show == 0 || i < show); ++i) s += (i ? " " : "") + json(items[i]).dump();
  if (show > 0 && n > show) s += " ... (+" + std::to_string(n - show) + ")";
  return s.empty() ? "-" : s;
}

void run_blocks(const BlocksArgs& a) {
  const json out = blocks_report(a.run, a.truth);
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  const auto& rec = out["recruit"];
  std::cout << "run " << a.run << " (step " << out["step"] << "): blocks = " << out["block_map"].get<std::string>();
  if (rec["enabled"].get<bool>())
    std::cout << ", recruitment on (theta " << rec["theta"] << " nats/token): " << rec["accepted"]
              << " accepted, " << rec["rejected"] << " rejected, " << rec["no_candidate_or_cap"] << " without a candidate";
  std::cout << "\n";
  if (out.contains("note")) std::cout << out["note"].get<std::string>() << "\n";
  for (const auto& b : out["blocks"]) {
    std::printf("block %lld %s: %lld types\n  anchors: %s\n  tokens:  %s\n",
                static_cast<long long>(b["id"].get<int64_t>()), b["name"].get<std::string>().c_str(),
                static_cast<long long>(b["types"].get<int64_t>()),
                joined(b["anchors"].get<std::vector<std::string>>(), a.show).c_str(),
                joined(b["tokens"].get<std::vector<std::string>>(), a.show).c_str());
  }
  for (const auto& r : rec["decisions"]) {
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
    std::printf("agreement with the %lld true blocks over %lld word types (shared tokens aside): "
                "adjusted Rand index %.3f, purity %.3f, %lld of %lld recovered exactly\n",
                static_cast<long long>(g["true_blocks"].get<int64_t>()),
                static_cast<long long>(g["types"].get<int64_t>()), g["adjusted_rand_index"].get<double>(),
                g["purity"].get<double>(), static_cast<long long>(g["exact"].get<int64_t>()),
                static_cast<long long>(g["true_blocks"].get<int64_t>()));
    for (const auto& b : g["blocks"])
      std::printf("  %s: %lld types, %.0f %% in class %lld with %lld foreign types%s\n",
                  b["name"].get<std::string>().c_str(), static_cast<long long>(b["types"].get<int64_t>()),
                  100 * b["share"].get<double>(), static_cast<long long>(b["class"].get<int64_t>()),
                  static_cast<long long>(b["foreign"].get<int64_t>()), b["exact"].get<bool>() ? " (exact)" : "");
  }
}

}  // namespace

void add_blocks(CLI::App& app) {
  auto* cmd = app.add_subcommand("blocks", "a run's semantic blocks: tokens, anchors, recruitment decisions");
  auto a = std::make_shared<BlocksArgs>();
  cmd->add_option("run", a->run, "run or checkpoint directory")->required();
  cmd->add_option("--show", a->show, "tokens shown per block (0 = all)")->capture_default_str();
  cmd->add_flag("--json", a->json, "print everything as one JSON object");
  cmd->add_option("--truth", a->truth, "a truth.json (localist synth --family topics) to measure the blocks against: "
                  "ARI, purity and exactly recovered true blocks, shared tokens aside");
  cmd->callback([a] { run_blocks(*a); });
}

}  // namespace localist::app
