#include "localist/loss/cross_group_prox.h"

#include <cmath>
#include <string>
#include <utility>

#include "localist/core/errors.h"
#include "localist/model/unit_groups.h"

namespace localist {
namespace {

// Calls f(l, h, part, s, i, view) for every (slice, unit group) block of W_Q / W_K, and
// bias(l, h, view) for every head's query bias, in tensors laid out like each layer's c_attn
// weight (3W, C) and bias (3W); the views alias them.
template <typename Block, typename Bias>
void for_each_block(const ModelConfig& c, int64_t k, const std::vector<torch::Tensor>& weights,
                    const std::vector<torch::Tensor>& biases, Block f, Bias bias) {
  const int64_t Dh = c.head_dim(), W = c.attn_width();
  if (Dh < k)
    throw ConfigError("cross_groups: d_head = " + std::to_string(Dh) + " < " + std::to_string(k) +
                      " blocks; each block needs a slice of every head");
  const auto units = unit_groups(c.n_embd, k), slices = unit_groups(Dh, k);
  for (int64_t l = 0; l < static_cast<int64_t>(weights.size()); ++l)
    for (int64_t h = 0; h < c.n_head; ++h) {
      for (int64_t part = 0; part < 2; ++part)
        for (int64_t s = 0; s < k; ++s)
          for (int64_t i = 0; i < k; ++i)
            f(l, h, part, s, i,
              weights[l].narrow(0, part * W + h * Dh + slices[s].first, slices[s].second)
                  .narrow(1, units[i].first, units[i].second));
      bias(l, h, biases[l].narrow(0, h * Dh, Dh));
    }
}

// Every layer's c_attn weight and bias: the model's own tensors.
std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> attention_inputs(Gpt& model) {
  std::vector<torch::Tensor> w, b;
  for (const auto& m : *model->layers) {
    auto& lin = m->as<Layer>()->attn->c_attn;
    w.push_back(lin->weight), b.push_back(lin->bias);
  }
  return {w, b};
}

double at_layer(const std::vector<double>& v, int64_t l) { return v.at(v.size() == 1 ? 0 : l); }

}  // namespace

int64_t CrossGroupNorms::zero_groups() const {
  const int64_t K = blocks.size(-1);
  auto off = torch::ones({K, K}, torch::kBool).logical_xor(torch::eye(K, torch::kBool));
  return (blocks.eq(0) & off).sum().item<int64_t>() + bias.eq(0).sum().item<int64_t>();
}

int64_t CrossGroupNorms::groups() const {
  const int64_t K = blocks.size(-1);
  return blocks.numel() / K * (K - 1) + bias.numel();
}

CrossGroupNorms cross_group_norms(const ModelConfig& c, int64_t k, const std::vector<torch::Tensor>& weights,
                                  const std::vector<torch::Tensor>& biases) {
  torch::NoGradGuard no_grad;
  const int64_t L = weights.size();
  CrossGroupNorms n{torch::zeros({L, c.n_head, 2, k, k}, torch::kDouble), torch::zeros({L, c.n_head}, torch::kDouble)};
  for_each_block(
      c, k, weights, biases,
      [&](int64_t l, int64_t h, int64_t part, int64_t s, int64_t i, torch::Tensor v) {
        n.blocks[l][h][part][s][i] = v.norm().item<double>();
      },
      [&](int64_t l, int64_t h, torch::Tensor v) { n.bias[l][h] = v.norm().item<double>(); });
  return n;
}

CrossGroupNorms cross_group_norms(Gpt& model, int64_t k) {
  const auto [w, b] = attention_inputs(model);
  return cross_group_norms(model->cfg, k, w, b);
}

torch::Tensor cross_group_coefficients(const ModelConfig& c, int64_t k) {
  const auto units = unit_groups(c.n_embd, k);
  auto out = torch::zeros({k, k}, torch::kDouble);
  for (int64_t s = 0; s < k; ++s)
    for (int64_t i = 0; i < k; ++i)
      if (s != i) out[s][i] = std::sqrt(static_cast<double>(units[i].second));
  return out;
}

double cross_group_penalty(Gpt& model, int64_t k, const std::vector<double>& layer_lambda, double alpha_w) {
  const double root_dh = std::sqrt(static_cast<double>(model->cfg.head_dim()));
  const auto n = cross_group_norms(model, k);
  const auto coef = cross_group_coefficients(model->cfg, k);  // (K, K)
  double sum = 0;
  for (int64_t l = 0; l < n.bias.size(0); ++l)
    sum += at_layer(layer_lambda, l) * ((n.blocks[l] * coef).sum().item<double>() +
                                        root_dh * n.bias[l].sum().item<double>());
  return alpha_w * sum;
}

void cross_group_prox(Gpt& model, int64_t k, const std::vector<double>& layer_step) {
  torch::NoGradGuard no_grad;
  const auto units = unit_groups(model->cfg.n_embd, k);
  const double root_dh = std::sqrt(static_cast<double>(model->cfg.head_dim()));
  // max(0, 1 - t / ||v||) v on the device: a group at or below t becomes exactly zero
  const auto shrink = [](torch::Tensor v, double t) { v.mul_((1.0 - t / v.norm()).clamp_min(0.0)); };
  const auto [w, b] = attention_inputs(model);
  for_each_block(
      model->cfg, k, w, b,
      [&](int64_t l, int64_t, int64_t, int64_t s, int64_t i, torch::Tensor v) {
        const double step = at_layer(layer_step, l);
        if (s != i && step > 0) shrink(v, step * std::sqrt(static_cast<double>(units[i].second)));
      },
      [&](int64_t l, int64_t, torch::Tensor v) {
        const double step = at_layer(layer_step, l);
        if (step > 0) shrink(v, step * root_dh);
      });
}

}  // namespace localist
