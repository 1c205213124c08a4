#pragma once
// Routing a segment among the models of a hierarchy (docs/design.md §1.6), causally: what predicts
// token t uses only the tokens before it. Input: each model's per-token NLL on the segment.
//   hard (default): the first `prefix` predictions come from the base model (row 0) while the
//     router listens; then the segment goes to the one model with the highest posterior
//     prior_k * prod_{s < prefix} p_k(x_s), which predicts the rest. One model per segment, so
//     its blocks and anchors stay the audit trail.
//   soft: a gated mixture, p(x_t) = sum_k w_k(t) p_k(x_t) with w_k(t) the same posterior given
//     every token before t (Bayes' rule on the models' own predictions).
#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace localist {

struct Routed {
  torch::Tensor nll;   // (T,) nats per prediction under the routing
  int64_t chosen = 0;  // hard: the model that predicted after the prefix; soft: the posterior's
                       // argmax after the whole segment
  torch::Tensor share;  // (K,) each model's share of the segment's predictions: hard, the
                        // prefix to the base and the rest to the chosen; soft, its mean weight
  torch::Tensor weights;  // (K, T) the model(s) behind each prediction: hard, one-hot; soft, w_k(t)
};

// nll: (K, T) float64/float32, row k = model k's NLL of each prediction. log_prior: (K,) or
// undefined (uniform). prefix in [0, T].
Routed route_hard(const torch::Tensor& nll, int64_t prefix, const torch::Tensor& log_prior = {});
Routed route_soft(const torch::Tensor& nll, const torch::Tensor& log_prior = {});

}  // namespace localist
