#pragma once
// Flash-style localist attention: causal attention with the locality dial given as per-position
// block ids and a per-query penalty instead of a (B, 1, T, T) bias, computed flash-style (an
// online softmax over the keys, nothing T x T kept) and producing each query's attention
// metrics (entropy, target-block mass, anchor mass) from the same pass. The arithmetic of one
// row is model/flash_row.h; CPU loops here, CUDA kernels in flash_attention.cu (built when nvcc
// is found). Equal to attend_causal(q, k, v, scale, 0, dial_bias(layout, dial)) and to
// metrics/attention_metrics.h on its probabilities (tests/model/test_flash_attention.cpp).
#include <torch/torch.h>

#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"

namespace localist {

// The dial of one layer as the flash kernels take it. All (B, T), on the tensors' device.
struct BlockBias {
  torch::Tensor key_block;     // int32: beta(j)
  torch::Tensor target;        // int32: b(t), -1 = no target
  torch::Tensor anchor;        // uint8: j is an anchor
  torch::Tensor penalty;       // float32: c_t = lambda_l s_t kappa (inf: hard), 0 when the
                               // target set holds no visible key (then t is unbiased)
  torch::Tensor has_target;    // bool: t's target set holds a visible key (block fidelity's set)
  torch::Tensor has_anchor;    // bool: ... and an anchor among them (pointer fidelity's set)
  int64_t shared_block = -1;
  bool causal = true;
};

// The layer's BlockBias from a layout at dial strength lambda_l (0: no bias, metrics only).
BlockBias block_bias(const BlockLayout& layout, double lambda_l, double kappa, bool causal = true);
// One per layer at the dial's lambda_l (dial_biases' twin, for GptImpl::forward's `flash`).
std::vector<BlockBias> block_biases(const BlockLayout& layout, const Dial& dial, int64_t n_layer,
                                    bool causal = true);

struct FlashAttention {
  torch::Tensor y;             // (B, H, T, Dh), q's dtype
  torch::Tensor lse;           // (B, H, T) float32: log sum_j exp(s'_tj), for the backward
  torch::Tensor entropy_bits;  // (B, H, T) float32
  torch::Tensor target_mass;   // (B, H, T) float32 (meaningful where has_target)
  torch::Tensor anchor_mass;   // (B, H, T) float32 (meaningful where has_anchor)
};

// q, k, v: (B, H, T, Dh), float32 (CPU, CUDA) or bfloat16 (CUDA); scale: 1 / (tau sqrt(Dh)).
// No gradients (see flash_attention_autograd). ConfigError on shapes, dtypes or devices.
FlashAttention flash_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const BlockBias& bias, double scale);

// The same output y with gradients for q, k and v (the bias is a constant).
torch::Tensor flash_attention_autograd(const torch::Tensor& q, const torch::Tensor& k,
                                       const torch::Tensor& v, const BlockBias& bias, double scale);

// dq, dk, dv of y = flash_attention(...).y given dy (exposed for the tests and benchmarks).
std::vector<torch::Tensor> flash_attention_backward(const torch::Tensor& q, const torch::Tensor& k,
                                                    const torch::Tensor& v, const BlockBias& bias,
                                                    double scale, const FlashAttention& fwd,
                                                    const torch::Tensor& dy);

// Whether this build carries the CUDA kernels.
bool flash_attention_has_cuda();

}  // namespace localist
