// localist threshold: the constants of the concentration threshold (docs/design.md §1.4) estimated
// from a checkpoint and held-out data, each printed with how it was estimated; the threshold
// per layer/head (and per block where blocks are named) against the penalties in force; the
// KKT check on the weight groups; the softmax concentration and entropy bounds per query.
// The estimators are in src/localist/metrics/threshold.h; docs/threshold.md has a run.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "opened_checkpoint.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/metrics/checkpoint_eval.h"
#include "localist/metrics/threshold.h"
#include "localist/report/threshold_json.h"
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

// "1.23e-04"-style for values that span orders of magnitude; "inf" / "n/a" spelled out.
std::string fmt(double v, const char* f = "%.4g") {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

const char* verdict(double penalty, double threshold) {
  if (!(penalty > 0)) return "-";
  if (std::isnan(threshold)) return "n/a";
  return penalty > threshold ? "yes" : "no";
}

void print_report(const ThresholdEstimate& e, const ThresholdArgs& a, const LocalistConfig& lc,
                  const BlockMap& blocks, int64_t step) {
  const auto kappa = nlohmann::json(lc)["kappa"].dump();
  std::printf("localist threshold: %s (step %lld), %s split, %lld queries per head (%lld with a "
              "target block, %lld of them with visible off-target keys)\n",
              a.checkpoint.c_str(), static_cast<long long>(step), a.split.c_str(),
              static_cast<long long>(e.queries), static_cast<long long>(e.target_queries),
              static_cast<long long>(e.margin_queries));
  std::printf("blocks %s | dial lambda %g, kappa %s, logit bias %s | penalties: alpha_att %g, "
              "alpha_W %g (%lld unit groups)\n\n",
              blocks.describe().c_str(), lc.lambda, kappa.c_str(), lc.logit_bias ? "on" : "off",
              lc.alpha_att, lc.alpha_w, static_cast<long long>(lc.unit_groups));

  std::printf("lambda_i^(h) = 2 L_l R_x sigma_X sqrt|X_i| / (tau (1 - rho_max)) exp(-delta / tau), "
              "constants estimated as:\n");
  std::printf("  tau      %-9s the model's attention temperature (attn_temperature)\n",
              fmt(e.tau).c_str());
  std::printf("  |X_i|    %-9s mean |X_b(t)(t)| over %lld queries: the query's own target block, "
              "visible keys only\n",
              fmt(e.own_block_size).c_str(), static_cast<long long>(e.target_queries));
  std::printf("  R_x      per layer: max over held-out positions of ||ln_1(x_t)||_2 (the attention input)\n");
  std::printf("  sigma_X  per layer: sqrt(mean_j ||x_j - xbar_block(j)||^2), block means pooled over "
              "the evaluated windows\n");
  std::printf("  rho_max  per layer: max |cos(u_i, u_k)| over blocks i != k with >= %lld positions, "
              "u_i the principal direction of block i's centred inputs (first %lld positions); must be < 1\n",
              static_cast<long long>(e.options.min_block_members),
              static_cast<long long>(e.options.rho_samples));
  std::printf("  L_l      per head: ||d(sum of the batch's token losses) / d o_t||_2 over positions t, "
              "o the head's output before c_proj; the max is used, the 95th percentile shown\n");
  std::printf("  delta    per head: the %g-th percentile over queries (a uniform margin) of min target - "
              "max visible off-target logit, in q.k/sqrt(d) units: the model's own logits, the dial's "
              "bias left out; the median, the fraction > 0 and the median with the bias shown\n\n",
              e.options.margin_percentile);
  std::printf("  layer   R_x       sigma_X   rho_max   (blocks; compared)\n");
  for (int64_t l = 0; l < e.n_layer; ++l) {
    std::printf("  %-7lld %-9s %-9s %-9s (%lld, %lld; %lld)%s\n", static_cast<long long>(l),
                fmt(e.input_radius[l]).c_str(), fmt(e.block_scale[l]).c_str(),
                fmt(e.rho_max[l]).c_str(), static_cast<long long>(e.rho_pair[l].first),
                static_cast<long long>(e.rho_pair[l].second),
                static_cast<long long>(e.blocks_compared[l]),
                e.rho_max[l] < 1.0 ? ""
                                   : "  rho_max >= 1: blocks are not incoherent, threshold infinite");
  }

  const double w_min = e.weight_penalty.empty() ? 0 : *std::min_element(e.weight_penalty.begin(), e.weight_penalty.end());
  std::printf("\nper layer/head, threshold for the own block (|X| = %s); penalties as one token's "
              "coefficients: att = lambda_l alpha_att sqrt|X| / (L H), W = lambda alpha_W "
              "sqrt|G_i| (smallest group)\n",
              fmt(e.own_block_size).c_str());
  std::printf("  layer head  L_l max    L_l p95    delta      med (dial) delta>0  threshold  att pen    "
              "conc?  W pen      conc?  eps       eps bound\n");
  for (int64_t l = 0; l < e.n_layer; ++l)
    for (int64_t h = 0; h < e.n_head; ++h) {
      const double thr = e.threshold_own[l][h].item<double>();
      const std::string med = fmt(e.margin_median[l][h].item<double>(), "%.3g") + " (" +
                              fmt(e.margin_dial_median[l][h].item<double>(), "%.3g") + ")";
      std::printf("  %-5lld %-5lld %-10s %-10s %-10s %-15s %-8s %-10s %-10s %-6s %-10s %-6s %-9s %s\n",
                  static_cast<long long>(l), static_cast<long long>(h),
                  fmt(e.lipschitz_max[l][h].item<double>()).c_str(),
                  fmt(e.lipschitz_p95[l][h].item<double>()).c_str(),
                  fmt(e.margin_uniform[l][h].item<double>()).c_str(), med.c_str(),
                  fmt(e.margin_positive[l][h].item<double>(), "%.3f").c_str(), fmt(thr).c_str(),
                  fmt(e.attention_penalty_effective[l]).c_str(),
                  verdict(e.attention_penalty_effective[l], thr), fmt(w_min).c_str(),
                  verdict(w_min, thr), fmt(e.mass_measured_mean[l][h].item<double>(), "%.3g").c_str(),
                  fmt(e.mass_bound_mean[l][h].item<double>(), "%.3g").c_str());
    }
  std::printf("  (conc? = the penalty exceeds the threshold, where concentration is provable; "
              "- = no such penalty in force; eps = mean off-target mass and its bound over queries "
              "with off-target keys; attention penalty nominal lambda_l alpha_att:");
  for (double v : e.attention_penalty_nominal) std::printf(" %s", fmt(v).c_str());
  std::printf(")\n");

  if (blocks.kind() != "segment" && !e.block_sizes.empty()) {  // named, finite blocks
    std::printf("\nper target block (threshold over layers/heads):\n  block        queries  |X_i|     "
                "threshold min  max\n");
    for (size_t i = 0; i < e.block_sizes.size(); ++i) {
      auto t = e.threshold_block.select(2, static_cast<int64_t>(i));
      std::printf("  %-12s %-8lld %-9s %-14s %s\n", blocks.block_name(e.block_sizes[i].block).c_str(),
                  static_cast<long long>(e.block_sizes[i].queries),
                  fmt(e.block_sizes[i].mean_size).c_str(), fmt(t.min().item<double>()).c_str(),
                  fmt(t.max().item<double>()).c_str());
    }
  }

  std::printf("\nKKT check (%s, %lld unit groups; gradient of the mean held-out cross-entropy%s):\n",
              e.kkt_cross_groups ? "cross-block W_Q / W_K groups and query biases" : "W_Q / W_K unit groups",
              static_cast<long long>(e.penalty.unit_groups), e.kkt_includes_attention_penalty ? " + R_att" : "");
  const auto gn = e.kkt_grad_norm;
  if (e.kkt_inactive == 0) {
    std::printf("  %lld groups, none exactly zero: nothing to check (||grad||_F from %s to %s)\n",
                static_cast<long long>(e.kkt_groups), fmt(gn.min().item<double>()).c_str(),
                fmt(gn.max().item<double>()).c_str());
  } else {
    std::printf("  %lld groups, %lld exactly zero: %lld pass, %lld fail (||grad||_F <= lambda "
                "alpha_W sqrt|G_i| >= %s); largest ||grad||_F / limit %s\n",
                static_cast<long long>(e.kkt_groups), static_cast<long long>(e.kkt_inactive),
                static_cast<long long>(e.kkt_pass), static_cast<long long>(e.kkt_fail),
                fmt(w_min).c_str(), fmt(e.kkt_max_ratio).c_str());
  }
  if (!std::isnan(e.kkt_active_ratio_min))
    std::printf("  active groups: ||grad||_F / limit from %s to %s (1 at a stationary point of "
                "proximal gradient descent)\n",
                fmt(e.kkt_active_ratio_min).c_str(), fmt(e.kkt_active_ratio_max).c_str());

  const auto& c = e.concentration;
  const auto& h = e.entropy;
  std::printf("\nbounds over %lld (layer, head, query) triples with target and off-target keys "
              "(tolerance %g):\n",
              static_cast<long long>(c.queries), e.options.tolerance);
  std::printf("  off-target mass eps_t <= (N-m)e^-margin / (m + (N-m)e^-margin): %lld violations "
              "(max measured - bound %s); mean bound %.4g vs measured %.4g\n",
              static_cast<long long>(c.violations), fmt(c.max_excess, "%.3g").c_str(), c.mean_bound,
              c.mean_measured);
  std::printf("  entropy H_t <= h(eps_t) + (1-eps_t) ln m + eps_t ln(N-m): %lld violations (max "
              "excess %s nats); mean bound %.4f nats (%.4f bits) vs measured %.4f nats (%.4f bits)\n",
              static_cast<long long>(h.violations), fmt(h.max_excess, "%.3g").c_str(), h.mean_bound,
              h.mean_bound / std::log(2.0), h.mean_measured, h.mean_measured / std::log(2.0));
}
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
    if (a->json)
      std::cout << threshold_json(e, {a->checkpoint, a->split, lm.meta.step}, lc, c.blocks).dump() << "\n";
    else
      print_report(e, *a, lc, c.blocks, lm.meta.step);
  });
}

}  // namespace localist::app
