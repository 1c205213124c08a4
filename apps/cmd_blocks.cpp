// localist blocks: the semantic blocks of a run, with their tokens and anchors, the recruitment
// decisions that made them (recruit.jsonl), and, on the synthetic corpus or against a truth file
// (--truth), how well they match the true blocks (report/blocks_report.h).
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

void run_blocks(const BlocksArgs& a) {
  const json out = blocks_report(a.run, a.truth);
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  print_blocks_report(stdout, out, a.show);
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
