#include "localist/model/attention.h"

#include <cmath>

#include "localist/core/errors.h"
#include "localist/model/linear.h"


namespace localist {

CausalSelfAttentionImpl::CausalSelfAttentionImpl(const ModelConfig& cfg)
    : n_head(cfg.n_head),
      head_dim(cfg.head_dim()),
      scale(1.0 / (cfg.attn_temperature * std::sqrt(static_cast<double>(cfg.head_dim())))),
      dropout(cfg.dropout),
      causal(cfg.causal) {
  c_attn = register_module("c_attn", torch::nn::Linear(cfg.n_embd, 3 * cfg.attn_width()));
  c_proj = register_module("c_proj", torch::nn::Linear(cfg.attn_width(), cfg.n_embd));
}

AttentionOutput attend_causal(const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v, double scale, double dropout,
                              const torch::Tensor& bias, bool causal, const ActivationHook* hook,
                              const std::string& prefix) {
  const int64_t T = q.size(2);
  auto s = torch::matmul(q, k.transpose(-2, -1)) * scale;  // (B, H, T, T)
  auto future = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(q.device()))
                    .triu(1);
  if (bias.defined()) s = s + bias;
  if (causal) s = s.masked_fill(future, -std::numeric_limits<float>::infinity());
  if (hook) s = at_hook(hook, prefix + "hook_attn_scores", s);
  auto p = torch::softmax(s, -1);
  if (hook) p = at_hook(hook, prefix + "hook_pattern", p);
  // dropout acts on what is multiplied into v; the returned probabilities stay undropped
  auto pv = dropout > 0.0 ? torch::dropout(p, dropout, /*train=*/true) : p;
  auto y = torch::matmul(pv, v);
  // hook_z in TransformerLens' layout (B, T, H, Dh): a notebook's z[:, :, head] is that head
  if (hook) y = at_hook(hook, prefix + "hook_z", y.transpose(1, 2)).transpose(1, 2);
  return {y, p, s};
}

// Block units: q and k from the masked input (each position's block's units), v from all of it.
torch::Tensor CausalSelfAttentionImpl::block_unit_qkv(const torch::Tensor& x, const torch::Tensor& unit_mask) {
  const int64_t W = n_head * head_dim;
  const auto& w = c_attn->weight;  // (3W, C)
  const auto& b = c_attn->bias;    // (3W)
  auto qk = at::linear(x * unit_mask.to(x.scalar_type()), w.narrow(0, 0, 2 * W), b.narrow(0, 0, 2 * W));
  auto v = at::linear(x, w.narrow(0, 2 * W, W), b.narrow(0, 2 * W, W));
  return torch::cat({qk, v}, -1);
}

AttentionOutput CausalSelfAttentionImpl::forward(const torch::Tensor& x, bool need_probs,
                                                 const torch::Tensor& bias, AttentionTrace* trace,
                                                 const torch::Tensor& unit_mask, const BlockBias* flash,
                                                 FlashAttention* flash_out) {
  const int64_t B = x.size(0), T = x.size(1), W = n_head * head_dim;
  auto qkv = unit_mask.defined() ? block_unit_qkv(x, unit_mask) : fused_linear(c_attn, x);  // (B, T, 3W)
  qkv = qkv.view({B, T, 3, n_head, head_dim}).permute({2, 0, 3, 1, 4});
  auto q = qkv[0], k = qkv[1], v = qkv[2];  // (B, H, T, Dh)
  AttentionOutput out;
  torch::Tensor y;
  // fused attention whenever no one needs the probabilities: the dial's bias (with the causal
  // -inf folded in) is its additive mask; the materialised path serves metrics and explain
  const bool hooked = hook && *hook;
  const bool fused = !need_probs && !trace && !hooked && (dropout == 0.0 || !is_training());
  if (flash) {
    if (need_probs || trace || hooked || bias.defined() || (dropout > 0.0 && is_training()) || flash->causal != causal)
      throw ConfigError("flash attention: asked together with probabilities, a trace, a hook, a T x T bias, dropout "
                        "or another causal mode than the model's");
    if (torch::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad())) {
      y = flash_attention_autograd(q, k, v, *flash, scale);
    } else {
      auto f = flash_attention(q, k, v, *flash, scale);
      y = f.y;
      if (flash_out) *flash_out = {torch::Tensor(), f.lse, f.entropy_bits, f.target_mass, f.anchor_mass};
    }
  } else if (fused && causal && !bias.defined()) {
    y = at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                         /*is_causal=*/true, scale);
  } else if (fused) {
    auto future = torch::ones({T, T}, x.options().dtype(torch::kBool)).triu(causal ? 1 : T);
    auto b = bias.defined() ? bias : torch::zeros({1, 1, T, T}, x.options());
    auto mask = b.masked_fill(future, -INFINITY).to(q.scalar_type());  // (B|1, H|1, T, T)
    y = at::scaled_dot_product_attention(q, k, v, mask, 0.0, /*is_causal=*/false, scale);
  } else {
    auto a = attend_causal(q, k, v, scale, is_training() ? dropout : 0.0, bias, causal, hooked ? hook : nullptr,
                           hook_prefix);
    out.probs = a.probs;
    y = a.y;
    if (trace) *trace = {x, a.logits, a.probs, a.y};
  }
  y = y.transpose(1, 2).contiguous().view({B, T, W});  // (B, T, H Dh)
  out.y = torch::dropout(fused_linear(c_proj, y), dropout, is_training());
  return out;
}

}  // namespace localist
