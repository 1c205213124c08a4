#pragma once
// The GPT-style decoder: token + learned position embeddings, n_layer pre-LayerNorm blocks
// (attention, then a GELU MLP, each added to the residual stream), a final LayerNorm and a
// head tied to the token embedding (or not). Readable in one sitting, like nanoGPT's model.py.
#include <vector>

#include <torch/torch.h>

#include "localist/core/config.h"
#include "localist/model/attention.h"

namespace localist {

struct MlpImpl : torch::nn::Module {
  MlpImpl(const ModelConfig& cfg);
  torch::Tensor forward(const torch::Tensor& x);  // x: (B, T, C) -> (B, T, C)
  torch::nn::Linear c_fc{nullptr}, c_proj{nullptr};
  double dropout;
  std::string approximate;  // torch::gelu's: "none" (erf) or "tanh"
};
TORCH_MODULE(Mlp);

struct LayerImpl : torch::nn::Module {
  LayerImpl(const ModelConfig& cfg);
  // x: (B, T, C); attn_probs receives (B, H, T, T) when need_probs; bias: (B, 1, T, T) or {};
  // trace: the attention's input, logits, probabilities and head outputs, when given
  // unit_mask: (B, T, C) 0/1, the units each position's query and key read (block units), or {}
  torch::Tensor forward(const torch::Tensor& x, bool need_probs, torch::Tensor* attn_probs,
                        const torch::Tensor& bias = {}, AttentionTrace* trace = nullptr,
                        const torch::Tensor& unit_mask = {}, const BlockBias* flash = nullptr,
                        FlashAttention* flash_out = nullptr);
  torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
  CausalSelfAttention attn{nullptr};
  Mlp mlp{nullptr};
  const ActivationHook* hook = nullptr;  // GptImpl::set_hook: "<hook_prefix>hook_attn_out", "hook_mlp_out"
  std::string hook_prefix;
};
TORCH_MODULE(Layer);

struct GptOutput {
  torch::Tensor logits;             // (B, T, V)
  std::vector<torch::Tensor> attn;  // per layer (B, H, T, T), only when requested
  std::vector<FlashAttention> flash;  // per layer: per-query metrics of flash attention (no grad)
};

struct GptImpl : torch::nn::Module {
  explicit GptImpl(const ModelConfig& cfg);
  // idx: (B, T) int64 token ids, T <= context_length; attn_bias: additive logit biases (the
  // dial), each (B, 1, T, T) or undefined: none, one for every layer, or one per layer;
  // trace: when given, receives one AttentionTrace per layer (materialising attention);
  // flash: one BlockBias per layer (model/flash_attention.h) instead of attn_bias: attention
  // runs flash-style, nothing T x T, and (without gradients) out.flash holds its metrics
  GptOutput forward(const torch::Tensor& idx, bool need_attn = false,
                    const std::vector<torch::Tensor>& attn_bias = {},
                    std::vector<AttentionTrace>* trace = nullptr,
                    const std::vector<BlockBias>* flash = nullptr);
  // Mean next-token cross-entropy in nats; targets equal to -1 are ignored.
  static torch::Tensor loss(const torch::Tensor& logits, const torch::Tensor& targets);

  // Switches every layer between causal and bidirectional (leaking) attention, e.g. to evaluate
  // a causal checkpoint the way a leaking protocol would.
  void set_causal(bool causal);
  // Sets the attention temperature tau of every layer (s = q.k / (tau sqrt(d_head))), e.g. to
  // measure concentration against delta / tau (metrics/concentration_curve.h); tau > 0.
  void set_temperature(double tau);
  // Every forward passes its activations through `hook` (model/activation_hook.h) until it is
  // set again (an empty hook: none). Attention then materialises its probabilities.
  void set_hook(ActivationHook hook);
  // Block units (cfg.block_units > 0): the (V, C) 0/1 table of the units each token's query
  // and key read (model/block_units.h), set from the run's blocks after the model is built or
  // loaded; forward refuses to run without it.
  void set_unit_table(const torch::Tensor& table);

  int64_t num_params() const;
  // Training FLOPs per token (forward + backward): 6N + 12 L T C (PaLM appendix B).
  double flops_per_token() const;

  ModelConfig cfg;
  torch::nn::Embedding wte{nullptr}, wpe{nullptr};
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};
  torch::nn::Linear lm_head{nullptr};  // null when tied to wte
  torch::Tensor unit_table;            // (V, C) buffer when cfg.block_units > 0, else undefined
  bool unit_table_set = false;
  ActivationHook hook;  // set_hook's; the layers hold a pointer to it
};
TORCH_MODULE(Gpt);

// The parameters a Gpt of this config has, without building it (so a checkpoint's config can
// be checked against its weights file before anything is allocated); saturates at INT64_MAX.
int64_t parameter_count(const ModelConfig& cfg);

}  // namespace localist
