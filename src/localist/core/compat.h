#pragma once
// The one place that hides differences between LibTorch 1.13 (Debian's CPU build) and
// 2.x (the LibTorch inside a CUDA PyTorch install). Everything else calls these.
#include <torch/torch.h>
#include <torch/version.h>

#define LOCALIST_TORCH_2 (TORCH_VERSION_MAJOR >= 2)

namespace localist::compat {

// True when a fused scaled-dot-product attention kernel exists (2.x only).
constexpr bool has_sdpa() { return LOCALIST_TORCH_2; }

// Causal attention without materialising probabilities. q, k, v: (B, H, T, Dh).
// Callers must check has_sdpa() first; on 1.13 this is unreachable.
inline torch::Tensor causal_sdpa(const torch::Tensor& q, const torch::Tensor& k,
                                 const torch::Tensor& v, double scale) {
#if LOCALIST_TORCH_2
  return at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                          /*is_causal=*/true, scale);
#else
  (void)k, (void)v, (void)scale;
  TORCH_CHECK(false, "scaled_dot_product_attention needs LibTorch 2.x");
  return q;
#endif
}

// Attention with an additive float mask (B|1, H|1, T, T) that already holds the causal -inf;
// 2.x only, like causal_sdpa.
inline torch::Tensor masked_sdpa(const torch::Tensor& q, const torch::Tensor& k,
                                 const torch::Tensor& v, const torch::Tensor& mask, double scale) {
#if LOCALIST_TORCH_2
  return at::scaled_dot_product_attention(q, k, v, mask.to(q.scalar_type()), 0.0, false, scale);
#else
  (void)k, (void)v, (void)mask, (void)scale;
  TORCH_CHECK(false, "scaled_dot_product_attention needs LibTorch 2.x");
  return q;
#endif
}

inline std::string version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

}  // namespace localist::compat
