#pragma once
// The weight-group penalty on cross-block terms (LocalistConfig::cross_groups, docs/theory.md
// "R_W tied to blocks"). With block units (ModelConfig::block_units = K) a block-a query and a
// block-b key are q = W_Q[:, G_a] x_a + b_Q and k = W_K[:, G_b] x_b + b_K, so their logit's
// key-dependent part is x_a^T W_Q[:, G_a]^T W_K[:, G_b] x_b + b_Q . W_K[:, G_b] x_b. Split each
// head's d_head into K contiguous slices S_s (model/unit_groups.h) and penalise, per layer and
// head, the off-diagonal blocks W_Q[S_s, G_i], W_K[S_s, G_i] (s != i) and the query bias b_Q:
//   R_W^x = lambda alpha_W sum_{l,h} [ sum_{s != i} sqrt|G_i| (||W_Q[S_s,G_i]|| + ||W_K[S_s,G_i]||)
//                                       + sqrt(d_head) ||b_Q^(h)|| ]
// At zero, a block-a query lives in slice S_a and a block-b key in S_b, so every cross-block
// logit is the same per-query constant q . b_K: off-target keys become indistinguishable while
// the diagonal blocks (within-block reading) are not penalised. Applied as a proximal step.
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "localist/model/gpt.h"

namespace localist {

// ||.|| of every penalised group: (L, H, 2, K, K) for [.., 0|1 (W_Q|W_K), s, i] (the diagonal
// s == i is measured too but not penalised) and (L, H) for the query biases.
struct CrossGroupNorms {
  torch::Tensor blocks;  // (L, H, 2, K, K) float64
  torch::Tensor bias;    // (L, H)
  int64_t zero_groups() const;   // penalised groups (off-diagonal blocks and biases) exactly zero
  int64_t groups() const;        // penalised groups
};
CrossGroupNorms cross_group_norms(Gpt& model, int64_t k);
// The same groups in tensors laid out like each layer's c_attn weight (3W, C) and bias (3W):
// the gradients of the KKT check (metrics/threshold.h).
CrossGroupNorms cross_group_norms(const ModelConfig& c, int64_t k, const std::vector<torch::Tensor>& weights,
                                  const std::vector<torch::Tensor>& biases);
// Each (slice s, unit group i) block's coefficient in R_W^x per unit lambda alpha_W: (K, K)
// float64, sqrt|G_i| off the diagonal, 0 on it (a query bias's is sqrt(d_head)).
torch::Tensor cross_group_coefficients(const ModelConfig& c, int64_t k);

// R_W^x's value (for logging); layer_lambda: lambda_l per layer or one value for all.
double cross_group_penalty(Gpt& model, int64_t k, const std::vector<double>& layer_lambda, double alpha_w);

// Group soft-thresholding of every penalised group with step_l = lr lambda_l alpha_W (one per
// layer or one for all). ConfigError when d_head < k (a slice per block is needed).
void cross_group_prox(Gpt& model, int64_t k, const std::vector<double>& layer_step);

}  // namespace localist
