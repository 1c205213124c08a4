#pragma once
// Causal multi-head self-attention that can hand back its probabilities.
// The localist features (entropy, fidelity, the dial) need a_t per layer/head, so the plain
// path materialises them on request; without a request (and on LibTorch 2.x) the fused
// scaled_dot_product_attention kernel is used and nothing T x T is kept.
#include <torch/torch.h>

#include "localist/core/config.h"
#include "localist/model/activation_hook.h"
#include "localist/model/flash_attention.h"

namespace localist {

struct AttentionOutput {
  torch::Tensor y;       // (B, T, C) from the module; (B, H, T, Dh) from attend_causal
  torch::Tensor probs;   // (B, H, T, T) when requested, else undefined
  torch::Tensor logits;  // (B, H, T, T) what entered the softmax (attend_causal only)
};

// What one attention layer saw and did, for the estimators that need more than the
// probabilities (metrics/threshold.h). Filled only when a trace is requested; the tensors stay
// in the autograd graph, so gradients with respect to `heads` can be taken afterwards.
struct AttentionTrace {
  torch::Tensor input;   // (B, T, C): the layer's attention input, ln_1(x)
  torch::Tensor logits;  // (B, H, T, T): s_tj + b_tj, the softmax's input (future keys -inf)
  torch::Tensor probs;   // (B, H, T, T): a_tj
  torch::Tensor heads;   // (B, H, T, Dh): each head's output sum_j a_tj v_j, before c_proj
};

struct CausalSelfAttentionImpl : torch::nn::Module {
  explicit CausalSelfAttentionImpl(const ModelConfig& cfg);
  // x: (B, T, C); bias: optional additive logit bias (B, 1, T, T), e.g. the dial's;
  // trace: filled when given (forces the materialising path); unit_mask: (B, T, C) 0/1, the
  // units queries and keys read (block units; values read all of x), or undefined: all;
  // flash: the dial as block ids instead of `bias`, run by flash-style localist attention (no
  // T x T; with gradients when grad mode is on), whose per-query metrics go to flash_out
  AttentionOutput forward(const torch::Tensor& x, bool need_probs = false,
                          const torch::Tensor& bias = {}, AttentionTrace* trace = nullptr,
                          const torch::Tensor& unit_mask = {}, const BlockBias* flash = nullptr,
                          FlashAttention* flash_out = nullptr);

  torch::Tensor block_unit_qkv(const torch::Tensor& x, const torch::Tensor& unit_mask);
  torch::nn::Linear c_attn{nullptr};  // (C) -> (3 H Dh): q, k, v for all heads
  torch::nn::Linear c_proj{nullptr};  // (H Dh) -> (C); H Dh = C unless heads were recruited
  int64_t n_head, head_dim;
  double scale;  // 1 / (tau sqrt(d_head))
  double dropout;
  bool causal;   // false: bidirectional, leaks the next token (ModelConfig::causal)
  // set by GptImpl::set_hook: its points "<hook_prefix>hook_attn_scores", "hook_pattern",
  // "hook_z" (attention then takes the materialising path)
  const ActivationHook* hook = nullptr;
  std::string hook_prefix;
};
TORCH_MODULE(CausalSelfAttention);

// The plain (materialising) attention on already-split heads; exposed for tests and for
// callers that add a bias. q, k, v: (B, H, T, Dh); bias: undefined or (B|1, 1, T, T);
// returns y (B, H, T, Dh), probs and logits (B, H, T, T). causal = false keeps future keys.
// hook: scores, pattern and y pass through it as "<prefix>hook_attn_scores", "hook_pattern",
// "hook_z" (y as (B, T, H, Dh): model/activation_hook.h).
AttentionOutput attend_causal(const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v, double scale, double dropout = 0.0,
                              const torch::Tensor& bias = {}, bool causal = true,
                              const ActivationHook* hook = nullptr, const std::string& prefix = "");

}  // namespace localist
