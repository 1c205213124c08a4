#include "localist/report/threshold_text.h"

#include <algorithm>
#include <cmath>

namespace localist {
namespace {

// "1.23e-04"-style for values that span orders of magnitude; "inf" / "n/a" spelled out.
std::string number_text(double v, const char* f = "%.4g") {
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


// The header and the constants per layer, each with how it was estimated.
void print_constants(std::FILE* out, const ThresholdEstimate& e, const ThresholdSource& source, const LocalistConfig& lc,
                     const BlockMap& blocks) {
  const auto kappa = nlohmann::json(lc)["kappa"].dump();
  std::fprintf(out, "localist threshold: %s (step %lld), %s split, %lld queries per head (%lld with a "
              "target block, %lld of them with visible off-target keys)\n",
              source.checkpoint.c_str(), static_cast<long long>(source.step), source.split.c_str(),
              static_cast<long long>(e.queries), static_cast<long long>(e.target_queries),
              static_cast<long long>(e.margin_queries));
  std::fprintf(out, "blocks %s | dial lambda %g, kappa %s, logit bias %s | penalties: alpha_att %g, "
              "alpha_W %g (%lld unit groups)\n\n",
              blocks.describe().c_str(), lc.lambda, kappa.c_str(), lc.logit_bias ? "on" : "off",
              lc.alpha_att, lc.alpha_w, static_cast<long long>(lc.unit_groups));

  std::fprintf(out, "lambda_i^(h) = 2 L_l R_x sigma_X sqrt|X_i| / (tau (1 - rho_max)) exp(-delta / tau), "
              "constants estimated as:\n");
  std::fprintf(out, "  tau      %-9s the model's attention temperature (attn_temperature)\n",
              number_text(e.tau).c_str());
  std::fprintf(out, "  |X_i|    %-9s mean |X_b(t)(t)| over %lld queries: the query's own target block, "
              "visible keys only\n",
              number_text(e.own_block_size).c_str(), static_cast<long long>(e.target_queries));
  std::fprintf(out, "  R_x      per layer: max over held-out positions of ||ln_1(x_t)||_2 (the attention input)\n");
  std::fprintf(out, "  sigma_X  per layer: sqrt(mean_j ||x_j - xbar_block(j)||^2), block means pooled over "
              "the evaluated windows\n");
  std::fprintf(out, "  rho_max  per layer: max |cos(u_i, u_k)| over blocks i != k with >= %lld positions, "
              "u_i the principal direction of block i's centred inputs (first %lld positions); must be < 1\n",
              static_cast<long long>(e.options.min_block_members),
              static_cast<long long>(e.options.rho_samples));
  std::fprintf(out, "  L_l      per head: ||d(sum of the batch's token losses) / d o_t||_2 over positions t, "
              "o the head's output before c_proj; the max is used, the 95th percentile shown\n");
  std::fprintf(out, "  delta    per head: the %g-th percentile over queries (a uniform margin) of min target - "
              "max visible off-target logit, in q.k/sqrt(d) units: the model's own logits, the dial's "
              "bias left out; the median, the fraction > 0 and the median with the bias shown\n\n",
              e.options.margin_percentile);
  std::fprintf(out, "  layer   R_x       sigma_X   rho_max   (blocks; compared)\n");
  for (int64_t l = 0; l < e.n_layer; ++l) {
    std::fprintf(out, "  %-7lld %-9s %-9s %-9s (%lld, %lld; %lld)%s\n", static_cast<long long>(l),
                number_text(e.input_radius[l]).c_str(), number_text(e.block_scale[l]).c_str(),
                number_text(e.rho_max[l]).c_str(), static_cast<long long>(e.rho_pair[l].first),
                static_cast<long long>(e.rho_pair[l].second),
                static_cast<long long>(e.blocks_compared[l]),
                e.rho_max[l] < 1.0 ? ""
                                   : "  rho_max >= 1: blocks are not incoherent, threshold infinite");
  }
}

// The smallest weight-group penalty in force (0: none).
double smallest_weight_penalty(const ThresholdEstimate& e) {
  return e.weight_penalty.empty() ? 0 : *std::min_element(e.weight_penalty.begin(), e.weight_penalty.end());
}

// Per layer and head: the threshold for the own block against the penalties in force.
void print_heads(std::FILE* out, const ThresholdEstimate& e) {
  const double w_min = smallest_weight_penalty(e);
  std::fprintf(out, "\nper layer/head, threshold for the own block (|X| = %s); penalties as one token's "
              "coefficients: att = lambda_l alpha_att sqrt|X| / (L H), W = lambda alpha_W "
              "sqrt|G_i| (smallest group)\n",
              number_text(e.own_block_size).c_str());
  std::fprintf(out, "  layer head  L_l max    L_l p95    delta      med (dial) delta>0  threshold  att pen    "
              "conc?  W pen      conc?  eps       eps bound\n");
  for (int64_t l = 0; l < e.n_layer; ++l)
    for (int64_t h = 0; h < e.n_head; ++h) {
      const double thr = e.threshold_own[l][h].item<double>();
      const std::string med = number_text(e.margin_median[l][h].item<double>(), "%.3g") + " (" +
                              number_text(e.margin_dial_median[l][h].item<double>(), "%.3g") + ")";
      std::fprintf(out, "  %-5lld %-5lld %-10s %-10s %-10s %-15s %-8s %-10s %-10s %-6s %-10s %-6s %-9s %s\n",
                  static_cast<long long>(l), static_cast<long long>(h),
                  number_text(e.lipschitz_max[l][h].item<double>()).c_str(),
                  number_text(e.lipschitz_p95[l][h].item<double>()).c_str(),
                  number_text(e.margin_uniform[l][h].item<double>()).c_str(), med.c_str(),
                  number_text(e.margin_positive[l][h].item<double>(), "%.3f").c_str(), number_text(thr).c_str(),
                  number_text(e.attention_penalty_effective[l]).c_str(),
                  verdict(e.attention_penalty_effective[l], thr), number_text(w_min).c_str(),
                  verdict(w_min, thr), number_text(e.mass_measured_mean[l][h].item<double>(), "%.3g").c_str(),
                  number_text(e.mass_bound_mean[l][h].item<double>(), "%.3g").c_str());
    }
  std::fprintf(out, "  (conc? = the penalty exceeds the threshold, where concentration is provable; "
              "- = no such penalty in force; eps = mean off-target mass and its bound over queries "
              "with off-target keys; attention penalty nominal lambda_l alpha_att:");
  for (double v : e.attention_penalty_nominal) std::fprintf(out, " %s", number_text(v).c_str());
  std::fprintf(out, ")\n");
}

// Per named target block, where blocks are named and finite.
void print_blocks(std::FILE* out, const ThresholdEstimate& e, const BlockMap& blocks) {
  if (blocks.kind() != "segment" && !e.block_sizes.empty()) {  // named, finite blocks
    std::fprintf(out, "\nper target block (threshold over layers/heads):\n  block        queries  |X_i|     "
                "threshold min  max\n");
    for (size_t i = 0; i < e.block_sizes.size(); ++i) {
      auto t = e.threshold_block.select(2, static_cast<int64_t>(i));
      std::fprintf(out, "  %-12s %-8lld %-9s %-14s %s\n", blocks.block_name(e.block_sizes[i].block).c_str(),
                  static_cast<long long>(e.block_sizes[i].queries),
                  number_text(e.block_sizes[i].mean_size).c_str(), number_text(t.min().item<double>()).c_str(),
                  number_text(t.max().item<double>()).c_str());
    }
  }
}

void print_kkt(std::FILE* out, const ThresholdEstimate& e) {
  const double w_min = smallest_weight_penalty(e);
  std::fprintf(out, "\nKKT check (%s, %lld unit groups; gradient of the mean held-out cross-entropy%s):\n",
              e.kkt_cross_groups ? "cross-block W_Q / W_K groups and query biases" : "W_Q / W_K unit groups",
              static_cast<long long>(e.penalty.unit_groups), e.kkt_includes_attention_penalty ? " + R_att" : "");
  const auto gn = e.kkt_grad_norm;
  if (e.kkt_inactive == 0) {
    std::fprintf(out, "  %lld groups, none exactly zero: nothing to check (||grad||_F from %s to %s)\n",
                static_cast<long long>(e.kkt_groups), number_text(gn.min().item<double>()).c_str(),
                number_text(gn.max().item<double>()).c_str());
  } else {
    std::fprintf(out, "  %lld groups, %lld exactly zero: %lld pass, %lld fail (||grad||_F <= lambda "
                "alpha_W sqrt|G_i| >= %s); largest ||grad||_F / limit %s\n",
                static_cast<long long>(e.kkt_groups), static_cast<long long>(e.kkt_inactive),
                static_cast<long long>(e.kkt_pass), static_cast<long long>(e.kkt_fail),
                number_text(w_min).c_str(), number_text(e.kkt_max_ratio).c_str());
  }
  if (!std::isnan(e.kkt_active_ratio_min))
    std::fprintf(out, "  active groups: ||grad||_F / limit from %s to %s (1 at a stationary point of "
                "proximal gradient descent)\n",
                number_text(e.kkt_active_ratio_min).c_str(), number_text(e.kkt_active_ratio_max).c_str());
}

void print_bound_checks(std::FILE* out, const ThresholdEstimate& e) {
  const auto& c = e.concentration;
  const auto& h = e.entropy;
  std::fprintf(out, "\nbounds over %lld (layer, head, query) triples with target and off-target keys "
              "(tolerance %g):\n",
              static_cast<long long>(c.queries), e.options.tolerance);
  std::fprintf(out, "  off-target mass eps_t <= (N-m)e^-margin / (m + (N-m)e^-margin): %lld violations "
              "(max measured - bound %s); mean bound %.4g vs measured %.4g\n",
              static_cast<long long>(c.violations), number_text(c.max_excess, "%.3g").c_str(), c.mean_bound,
              c.mean_measured);
  std::fprintf(out, "  entropy H_t <= h(eps_t) + (1-eps_t) ln m + eps_t ln(N-m): %lld violations (max "
              "excess %s nats); mean bound %.4f nats (%.4f bits) vs measured %.4f nats (%.4f bits)\n",
              static_cast<long long>(h.violations), number_text(h.max_excess, "%.3g").c_str(), h.mean_bound,
              h.mean_bound / std::log(2.0), h.mean_measured, h.mean_measured / std::log(2.0));
}

}  // namespace

void print_threshold(std::FILE* out, const ThresholdEstimate& e, const ThresholdSource& source,
                     const LocalistConfig& lc, const BlockMap& blocks) {
  print_constants(out, e, source, lc, blocks);
  print_heads(out, e);
  print_blocks(out, e, blocks);
  print_kkt(out, e);
  print_bound_checks(out, e);
}

}  // namespace localist
