#include "localist/loss/weight_group_prox.h"

#include <cmath>

#include "localist/core/errors.h"

namespace localist {
namespace {

// Calls f(l, h, part, i, view) for every group; view aliases c_attn->weight.
template <typename F>
void for_each_group(Gpt& model, int64_t k, F f) {
  const auto& c = model->cfg;
  const auto groups = unit_groups(c.n_embd, k);
  const int64_t Dh = c.head_dim();
  int64_t l = 0;
  for (const auto& m : *model->layers) {
    auto w = m->as<Layer>()->attn->c_attn->weight;  // (3 H Dh, C): q rows, k rows, v rows
    for (int64_t h = 0; h < c.n_head; ++h)
      for (int64_t part = 0; part < 2; ++part)  // 0: W_Q, 1: W_K
        for (int64_t i = 0; i < k; ++i) {
          const int64_t row = part * c.attn_width() + h * Dh;
          f(l, h, part, i, w.narrow(0, row, Dh).narrow(1, groups[i].first, groups[i].second));
        }
    ++l;
  }
}

}  // namespace

torch::Tensor weight_group_norms(Gpt& model, int64_t k) {
  torch::NoGradGuard no_grad;
  auto norms = torch::zeros({model->cfg.n_layer, model->cfg.n_head, 2, k}, torch::kDouble);
  for_each_group(model, k, [&](int64_t l, int64_t h, int64_t part, int64_t i, torch::Tensor v) {
    norms[l][h][part][i] = v.norm().item<double>();
  });
  return norms;
}

double weight_group_penalty(Gpt& model, int64_t k, const std::vector<double>& layer_lambda,
                            double alpha_w) {
  const auto groups = unit_groups(model->cfg.n_embd, k);
  auto sizes = torch::empty({k}, torch::kDouble);
  for (int64_t i = 0; i < k; ++i) sizes[i] = std::sqrt(static_cast<double>(groups[i].second));
  const int64_t L = model->cfg.n_layer;
  auto lambdas = torch::empty({L, 1, 1, 1}, torch::kDouble);
  for (int64_t l = 0; l < L; ++l) lambdas[l] = layer_lambda.at(layer_lambda.size() == 1 ? 0 : l);
  return alpha_w * (weight_group_norms(model, k) * sizes * lambdas).sum().item<double>();
}

void weight_group_prox(Gpt& model, int64_t k, const std::vector<double>& layer_step) {
  torch::NoGradGuard no_grad;
  const auto groups = unit_groups(model->cfg.n_embd, k);
  for_each_group(model, k, [&](int64_t l, int64_t, int64_t, int64_t i, torch::Tensor v) {
    const double step = layer_step.at(layer_step.size() == 1 ? 0 : l);
    if (step <= 0) return;
    // group soft-thresholding, max(0, 1 - t / ||v||) v, on the device (no host sync): a
    // group at or below the threshold becomes exactly zero
    const double t = step * std::sqrt(static_cast<double>(groups[i].second));
    v.mul_((1.0 - t / v.norm()).clamp_min(0.0));
  });
}

}  // namespace localist
