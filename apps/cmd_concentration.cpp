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
#include "localist/core/errors.h"
#include "localist/metrics/concentration_curve.h"
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

std::string table(const ConcentrationCurve& c, const std::string& header) {
  std::string s = header + "\n\n| κ | τ | triples | δ/τ uniform (p" + std::to_string(static_cast<int>(c.percentile)) +
                  ") | δ/τ min | δ/τ median | model's own δ/τ uniform / median | mean off-target mass | "
                  "bound at uniform δ/τ (mean) | queries within it | max off-target mass | entropy (bits) |\n"
                  "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  char row[512];
  for (const auto& p : c.points) {
    std::snprintf(row, sizeof row, "| %g | %g | %lld | %.3f | %.3f | %.3f | %.3f / %.3f | %.4g | %.4g | %.4f | %.4g | %.3f |\n",
                  p.setting.kappa, p.setting.tau, static_cast<long long>(p.queries), p.margin_uniform,
                  p.margin_min, p.margin_median, p.model_margin_uniform, p.model_margin_median,
                  p.off_mass_mean, p.bound_mean, p.bound_holds, p.off_mass_max, p.entropy_bits_mean);
    s += row;
  }
  std::snprintf(row, sizeof row,
                "\nln(mean off-target mass) against δ/τ: slope %.3f where the uniform margin is > 0 (%lld points: "
                "the lemma's exponential regime, where the bound's slope tends to -1); over every point %.3f at the "
                "uniform margin, %.3f at the median margin.\n",
                c.slope_tail.slope, static_cast<long long>(c.slope_tail.points), c.slope_uniform.slope,
                c.slope_median.slope);
  return s + row;
}

std::vector<ConcentrationSetting> settings_of(const ConcentrationArgs& a) {
  std::vector<ConcentrationSetting> out;
  const auto taus = parse_value_list(a.temperatures, "temperatures", 1e-6, 1e6);
  for (double tau : taus)
    for (double kappa : parse_value_list(a.kappas, "kappas", 0, INFINITY)) out.push_back({kappa, tau});
  return out;
}

void run(const ConcentrationArgs& a, const CLI::App& cmd) {
  if (a.max_tokens < 0)
    throw ConfigError("max_tokens = " + std::to_string(a.max_tokens) + " is impossible; expected >= 0");
  if (a.batch_size < 1)
    throw ConfigError("batch_size = " + std::to_string(a.batch_size) + " is impossible; expected >= 1");
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
  const auto md = table(curve, header);
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
