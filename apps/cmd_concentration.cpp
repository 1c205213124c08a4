// localist concentration: Lemma 1 of docs/design.md §1.4 measured on a checkpoint
// (metrics/concentration_curve.h): off-target attention mass and entropy against the uniform
// margin delta / tau, with kappa (the dial's bias) and tau (the temperature) moved at
// inference, the lemma's bound beside each point and the fitted slope. docs/theory.md has runs.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "opened_checkpoint.h"
#include "localist/core/atomic_file.h"
#include "localist/metrics/concentration_curve.h"
#include "localist/report/concentration_table.h"
#include "localist/report/sweep.h"
#include "localist/metrics/checkpoint_eval.h"
#include "localist/run/run_data.h"

namespace localist::app {
namespace {

struct ConcentrationArgs {
  std::string checkpoint, data, out;
  std::string split = "test";
  std::string kappas = "0:24:4";
  std::string temperatures = "1";
  double percentile = 5;
  int64_t batch_size = 8;
  int64_t max_tokens = 2000;
  bool json = false;
  InferenceArgs run;
};

std::vector<ConcentrationSetting> settings_of(const ConcentrationArgs& a) {
  std::vector<ConcentrationSetting> out;
  const auto taus = parse_value_list(a.temperatures, "temperatures", 1e-6, 1e6);
  for (double tau : taus)
    for (double kappa : parse_value_list(a.kappas, "kappas", 0, INFINITY)) out.push_back({kappa, tau});
  return out;
}

void run(const ConcentrationArgs& a, const CLI::App& cmd) {
  const auto settings = settings_of(a);
  auto c = open_checkpoint(a.checkpoint, cmd, a.run);
  require_causal(c.lm.meta.model, "concentration");
  auto run_data = checkpoint_run_data(a.checkpoint, c.lm, data_to_evaluate(c.lm.meta.data, a.data));
  // the kappa settings scale the dial at --lambda when given, else at lambda = 1
  const double lambda = cmd.count("--lambda") ? c.localist.lambda : 1.0;
  const auto curve = measure_concentration(c.lm.model, split_tokens(run_data, a.split), a.batch_size, c.device,
                                           a.max_tokens, c.blocks, lambda, settings, a.percentile);
  auto j = to_json(curve);
  j["checkpoint"] = a.checkpoint, j["step"] = c.lm.meta.step, j["split"] = a.split;
  j["blocks"] = c.localist.blocks, j["max_tokens"] = a.max_tokens;
  char header[512];
  std::snprintf(header, sizeof header,
                "Lemma 1 measured: %s (step %lld), %s split (first %lld predictions), blocks %s, dial lambda %g; "
                "margins in softmax units (delta / tau), pooled over %lld layers x %lld heads",
                a.checkpoint.c_str(), static_cast<long long>(c.lm.meta.step), a.split.c_str(),
                static_cast<long long>(a.max_tokens), c.localist.blocks.c_str(), lambda,
                static_cast<long long>(curve.n_layer), static_cast<long long>(curve.n_head));
  const auto md = concentration_table(curve, header);
  if (!a.out.empty()) {
    std::filesystem::create_directories(a.out);
    write_text_atomically((std::filesystem::path(a.out) / "concentration.json").string(), j.dump(2) + "\n");
    write_text_atomically((std::filesystem::path(a.out) / "concentration.md").string(), md);
  }
  if (a.json)
    std::cout << j.dump() << "\n";
  else
    std::cout << md;
}

}  // namespace

void add_concentration(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "concentration", "Lemma 1 measured: off-target attention mass against the uniform margin delta/tau");
  auto a = std::make_shared<ConcentrationArgs>();
  cmd->add_option("checkpoint", a->checkpoint, "run or checkpoint directory")->required();
  cmd->add_option("--kappas", a->kappas, "the dial's bias at inference, nats (list or start:stop:step; 0 = none)")
      ->capture_default_str();
  cmd->add_option("--temperatures", a->temperatures, "attention temperatures tau at inference (list)")
      ->capture_default_str();
  cmd->add_option("--percentile", a->percentile, "the uniform margin: this percentile of the per-query margins (0 = min)")
      ->capture_default_str();
  cmd->add_option("--data", a->data, "measure on other data (default: the run's)");
  cmd->add_option("--split", a->split, "valid | test")->capture_default_str()->check(CLI::IsMember({"valid", "test"}));
  cmd->add_option("--max-tokens", a->max_tokens, "held-out predictions per setting (0 = the whole split)")
      ->capture_default_str();
  cmd->add_option("--batch-size", a->batch_size, "windows per batch")->capture_default_str();
  cmd->add_option("--out", a->out, "also write DIR/concentration.{json,md} (for localist report)");
  cmd->add_flag("--json", a->json, "print one JSON object");
  add_device_options(*cmd, a->run.device, a->run.threads);
  add_localist_options(*cmd, a->run.localist);
  cmd->callback([a, cmd] { run(*a, *cmd); });
}

}  // namespace localist::app
