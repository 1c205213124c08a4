#include "localist/report/threshold_json.h"

#include <algorithm>

#include "localist/core/json_text.h"

namespace localist {
namespace {

// (L, H) or (L, H, K) float64 tensor -> nested arrays
nlohmann::json nested(const torch::Tensor& t) {
  if (t.dim() == 0) return json_number(t.item<double>());
  nlohmann::json a = nlohmann::json::array();
  for (int64_t i = 0; i < t.size(0); ++i) a.push_back(nested(t[i]));
  return a;
}

nlohmann::json per_layer(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double x : v) a.push_back(json_number(x));
  return a;
}

nlohmann::json bound_json(const BoundCheck& c) {
  return {{"queries", c.queries},        {"violations", c.violations},
          {"max_excess", json_number(c.max_excess)}, {"mean_bound", json_number(c.mean_bound)},
          {"mean_measured", json_number(c.mean_measured)}};
}

}  // namespace

nlohmann::json threshold_json(const ThresholdEstimate& e, const ThresholdSource& source, const LocalistConfig& lc,
                              const BlockMap& blocks) {
  nlohmann::json layers = nlohmann::json::array();
  for (int64_t l = 0; l < e.n_layer; ++l)
    layers.push_back({{"R_x", json_number(e.input_radius[l])},
                      {"sigma_X", json_number(e.block_scale[l])},
                      {"rho_max", json_number(e.rho_max[l])},
                      {"rho_below_one", e.rho_max[l] < 1.0},
                      {"rho_pair", {e.rho_pair[l].first, e.rho_pair[l].second}},
                      {"blocks_compared", e.blocks_compared[l]},
                      {"attention_penalty_nominal", json_number(e.attention_penalty_nominal[l])},
                      {"attention_penalty_effective", json_number(e.attention_penalty_effective[l])}});
  nlohmann::json sizes = nlohmann::json::array();
  for (const auto& b : e.block_sizes)
    sizes.push_back({{"block", b.block}, {"name", blocks.block_name(b.block)},
                     {"queries", b.queries}, {"mean_size", b.mean_size}});
  nlohmann::json concentrates_att = nlohmann::json::array(), concentrates_w = nlohmann::json::array();
  const double w_min = e.weight_penalty.empty() ? 0 : *std::min_element(e.weight_penalty.begin(), e.weight_penalty.end());
  for (int64_t l = 0; l < e.n_layer; ++l) {
    nlohmann::json ra = nlohmann::json::array(), rw = nlohmann::json::array();
    for (int64_t h = 0; h < e.n_head; ++h) {
      const double thr = e.threshold_own[l][h].item<double>();
      ra.push_back(e.attention_penalty_effective[l] > thr);
      rw.push_back(w_min > thr);
    }
    concentrates_att.push_back(ra), concentrates_w.push_back(rw);
  }
  return {
      {"checkpoint", source.checkpoint}, {"step", source.step}, {"split", source.split},
      {"blocks", lc.blocks}, {"block_kind", blocks.kind()},
      {"lambda", lc.lambda}, {"kappa", nlohmann::json(lc)["kappa"]}, {"logit_bias", lc.logit_bias},
      {"queries_per_head", e.queries}, {"target_queries_per_head", e.target_queries},
      {"margin_queries_per_head", e.margin_queries},
      {"tau", e.tau},
      {"formula", "2 L_l R_x sigma_X sqrt|X_i| / (tau (1 - rho_max)) exp(-delta / tau)"},
      {"layers", layers},
      {"lipschitz_max", nested(e.lipschitz_max)}, {"lipschitz_p95", nested(e.lipschitz_p95)},
      {"delta_percentile", e.options.margin_percentile},
      {"delta_uniform", nested(e.margin_uniform)}, {"delta_median", nested(e.margin_median)},
      {"delta_positive_fraction", nested(e.margin_positive)},
      {"delta_with_dial_median", nested(e.margin_dial_median)},
      {"own_block_size", json_number(e.own_block_size)}, {"block_sizes", sizes},
      {"threshold_own_block", nested(e.threshold_own)},
      {"threshold_per_block", nested(e.threshold_block)},
      {"penalty", {{"lambda", e.penalty.lambda}, {"layer_lambda", e.penalty.layer_lambda},
                   {"alpha_att", e.penalty.alpha_att}, {"alpha_w", e.penalty.alpha_w},
                   {"unit_groups", e.penalty.unit_groups},
                   {"weight_penalty_per_group", per_layer(e.weight_penalty)}}},
      {"concentrates_attention_penalty", concentrates_att},
      {"concentrates_weight_penalty", concentrates_w},
      {"kkt", {{"groups", e.kkt_groups}, {"cross_groups", e.kkt_cross_groups}, {"inactive", e.kkt_inactive},
               {"pass", e.kkt_pass}, {"fail", e.kkt_fail}, {"max_ratio", json_number(e.kkt_max_ratio)},
               {"active_ratio_min", json_number(e.kkt_active_ratio_min)},
               {"active_ratio_max", json_number(e.kkt_active_ratio_max)},
               {"includes_attention_penalty", e.kkt_includes_attention_penalty},
               {"grad_norm", nested(e.kkt_grad_norm)}, {"weight_norm", nested(e.kkt_weight_norm)}}},
      {"off_target_mass", nested(e.off_target_mass)},
      {"off_target_mass_where_bounded", nested(e.mass_measured_mean)},
      {"off_target_bound_mean", nested(e.mass_bound_mean)},
      {"concentration_bound", bound_json(e.concentration)},
      {"entropy_bound_nats", bound_json(e.entropy)},
      {"tolerance", e.options.tolerance}};
}

}  // namespace localist
