// localist threshold: the constants of the concentration threshold (docs/design.md §1.4) estimated
// from a checkpoint and held-out data, each printed with how it was estimated; the threshold
// per layer/head (and per block where blocks are named) against the penalties in force; the
// KKT check on the weight groups; the softmax concentration and entropy bounds per query.
// The estimators are in src/localist/metrics/threshold.h, the report in report/threshold_*.h;
// docs/threshold.md has a run.
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "opened_checkpoint.h"
#include "localist/core/device.h"
#include "localist/metrics/checkpoint_eval.h"
#include "localist/metrics/threshold.h"
#include "localist/report/threshold_json.h"
#include "localist/report/threshold_text.h"
#include "localist/run/checkpoint.h"
#include "localist/run/run_data.h"

namespace localist::app {

namespace {
struct ThresholdArgs {
  std::string checkpoint;
  std::string split = "test";
  std::string data;  // other data than the run's
  int64_t batch_size = 8;
  int64_t max_tokens = 2000;
  bool json = false;
  ThresholdOptions options;
  InferenceArgs run;  // device, threads, localist overrides
};

}  // namespace

void add_threshold(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "threshold", "estimate the concentration threshold's constants, the KKT check and the bounds");
  auto a = std::make_shared<ThresholdArgs>();
  cmd->add_option("checkpoint", a->checkpoint, "run or checkpoint directory")->required();
  cmd->add_option("--data", a->data, "measure on other data (default: the run's; an imported model needs it)");
  cmd->add_option("--split", a->split, "valid | test")->capture_default_str()
      ->check(CLI::IsMember({"valid", "test"}));
  cmd->add_option("--max-tokens", a->max_tokens, "held-out predictions to use (0 = the whole split)")
      ->capture_default_str();
  cmd->add_option("--batch-size", a->batch_size, "windows per batch")->capture_default_str();
  cmd->add_option("--margin-percentile", a->options.margin_percentile,
                  "the uniform margin delta: this percentile of the per-query margins (0 = the minimum)")
      ->capture_default_str();
  add_device_options(*cmd, a->run.device, a->run.threads);
  cmd->add_flag("--json", a->json, "print one JSON object");
  add_localist_options(*cmd, a->run.localist);
  cmd->callback([a, cmd] {
    a->options.validate();  // before the checkpoint is read (estimate_threshold checks all again)
    auto c = open_checkpoint(a->checkpoint, *cmd, a->run);
    auto& lm = c.lm;
    const auto device = c.device;
    require_causal(lm.meta.model, "threshold");
    auto run_data = checkpoint_run_data(a->checkpoint, lm, data_to_evaluate(lm.meta.data, a->data));
    const auto& tokens = split_tokens(run_data, a->split);
    // The dial and blocks move at inference; the penalties in force may be overridden too, to
    // ask what a given alpha would guarantee on these weights.
    const LocalistConfig& lc = c.localist;
    const auto e = estimate_threshold(lm.model, tokens, a->batch_size, device, a->max_tokens, c.blocks,
                                      c.dial,
                                      PenaltyInForce::from_config(lc, lm.meta.model.n_layer), a->options);
    const ThresholdSource source{a->checkpoint, a->split, lm.meta.step};
    if (a->json)
      std::cout << threshold_json(e, source, lc, c.blocks).dump() << "\n";
    else
      print_threshold(stdout, e, source, lc, c.blocks);
  });
}

}  // namespace localist::app
