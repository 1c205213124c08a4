#pragma once
// TransformerLens-style hook points in the forward pass, named as TransformerLens names them
// ("blocks.0.hook_resid_pre", "blocks.0.attn.hook_attn_scores",
// "blocks.0.attn.hook_pattern", "blocks.0.attn.hook_z", "blocks.0.hook_attn_out",
// "blocks.0.hook_mlp_out", "blocks.0.hook_resid_post", "ln_final.hook_normalized"). A hook sees
// each activation by name and returns the one the forward goes on with: the same tensor to
// read it (a cache), another of the same shape to patch it. Shapes are TransformerLens':
// attention scores and pattern (B, H, T, T) with the dial's bias and the causal -inf in the
// scores; hook_z (B, T, H, Dh); the rest (B, T, C).
#include <functional>
#include <string>

#include <torch/torch.h>

namespace localist {

using ActivationHook = std::function<torch::Tensor(const std::string& name, const torch::Tensor& value)>;

// `value` through the hook (null or empty: unchanged); a returned tensor of another shape is a
// ConfigError naming the point.
torch::Tensor at_hook(const ActivationHook* hook, const std::string& name, const torch::Tensor& value);

}  // namespace localist
