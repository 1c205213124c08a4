#include "localist/model/dial.h"

#include <cmath>

#include "localist/core/errors.h"

namespace localist {
namespace {

// The layout's off-target keys for each query: (B, T, T) bool; future keys are masked by
// attention itself, so only visible ones matter.
torch::Tensor visible_off_target(const BlockLayout& layout, bool causal) {
  auto in_target = target_keys(layout, causal);                         // (B, T, T)
  return ~in_target & in_target.any(-1, /*keepdim=*/true);
}

// -c_t on off-target keys.
torch::Tensor bias_at(const torch::Tensor& off_target, const BlockLayout& layout, double lambda,
                      double kappa) {
  auto per_query = -dial_penalty(layout, lambda, kappa).unsqueeze(2);      // (B|1, T|1, 1)
  auto zero = torch::zeros({}, per_query.options());
  return torch::where(off_target, per_query, zero).unsqueeze(1);          // (B, 1, T, T)
}

}  // namespace

torch::Tensor dial_penalty(const BlockLayout& layout, double lambda, double kappa) {
  auto scale = layout.lambda_scale.defined()
                   ? layout.lambda_scale.to(torch::kFloat)                // (B, T)
                   : torch::ones({1, 1}, layout.block.options().dtype(torch::kFloat));
  if (std::isinf(kappa))
    return torch::where(scale * lambda > 0, torch::full_like(scale, INFINITY), torch::zeros_like(scale));
  return scale * static_cast<float>(lambda * kappa);
}

Dial Dial::from_config(const LocalistConfig& c) {
  return {c.logit_bias ? c.lambda : 0.0, c.kappa, c.lambda_layer_power};
}

void Dial::validate() const {
  if (!(lambda >= 0.0 && lambda <= 1.0))
    throw ConfigError("lambda = " + std::to_string(lambda) + " is outside [0, 1]");
  if (!(kappa > 0.0))
    throw ConfigError("kappa = " + std::to_string(kappa) + " is impossible; expected > 0 nats (or inf)");
  if (!(layer_power >= 0.0))
    throw ConfigError("lambda_layer_power = " + std::to_string(layer_power) + " is impossible; expected >= 0");
}

std::vector<double> Dial::layer_lambdas(int64_t n_layer) const {
  std::vector<double> out(n_layer, lambda);
  if (n_layer > 1 && layer_power > 0)
    for (int64_t l = 0; l < n_layer; ++l)
      out[l] = lambda * std::pow(static_cast<double>(l) / static_cast<double>(n_layer - 1), layer_power);
  return out;
}

torch::Tensor dial_bias(const BlockLayout& layout, const Dial& dial, bool causal) {
  dial.validate();
  return bias_at(visible_off_target(layout, causal), layout, dial.lambda, dial.kappa);
}

std::vector<torch::Tensor> dial_biases(const BlockMap& blocks, const torch::Tensor& idx, const Dial& dial,
                                       const ModelConfig& cfg) {
  if (!dial.active()) return {};
  return dial_biases(blocks.layout(idx), dial, cfg.n_layer, cfg.causal);
}

std::vector<torch::Tensor> dial_biases(const BlockLayout& layout, const Dial& dial, int64_t n_layer,
                                       bool causal) {
  dial.validate();
  const auto lambdas = dial.layer_lambdas(n_layer);
  std::vector<torch::Tensor> out(n_layer);
  if (!dial.active()) return out;
  const auto off_target = visible_off_target(layout, causal);
  for (int64_t l = 0; l < n_layer; ++l) {
    if (lambdas[l] <= 0) continue;
    out[l] = l > 0 && lambdas[l] == lambdas[l - 1] ? out[l - 1]  // the same lambda: share it
                                                    : bias_at(off_target, layout, lambdas[l], dial.kappa);
  }
  return out;
}

}  // namespace localist
