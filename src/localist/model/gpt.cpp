#include "localist/model/gpt.h"

#include <cmath>

#include "localist/core/errors.h"
#include "localist/model/linear.h"

namespace localist {

MlpImpl::MlpImpl(const ModelConfig& cfg) : dropout(cfg.dropout), approximate(cfg.activation == "gelu_tanh" ? "tanh" : "none") {
  c_fc = register_module("c_fc", torch::nn::Linear(cfg.n_embd, 4 * cfg.n_embd));
  c_proj = register_module("c_proj", torch::nn::Linear(4 * cfg.n_embd, cfg.n_embd));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  // GELU in erf form (torch.nn.GELU() default), or GPT-2's tanh approximation (gelu_tanh)
  return torch::dropout(fused_linear(c_proj, torch::gelu(fused_linear(c_fc, x), approximate)), dropout, is_training());
}

LayerImpl::LayerImpl(const ModelConfig& cfg) {
  ln_1 = register_module("ln_1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg.n_embd})));
  attn = register_module("attn", CausalSelfAttention(cfg));
  ln_2 = register_module("ln_2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg.n_embd})));
  mlp = register_module("mlp", Mlp(cfg));
}

torch::Tensor LayerImpl::forward(const torch::Tensor& x, bool need_probs,
                                 torch::Tensor* attn_probs, const torch::Tensor& bias,
                                 AttentionTrace* trace, const torch::Tensor& unit_mask,
                                 const BlockBias* flash, FlashAttention* flash_out) {
  auto a = attn(ln_1(x), need_probs, bias, trace, unit_mask, flash, flash_out);
  if (attn_probs) *attn_probs = a.probs;
  auto h = x + (hook ? at_hook(hook, hook_prefix + "hook_attn_out", a.y) : a.y);
  auto m = mlp(ln_2(h));
  return h + (hook ? at_hook(hook, hook_prefix + "hook_mlp_out", m) : m);
}

GptImpl::GptImpl(const ModelConfig& c) : cfg(c) {
  cfg.validate();
  wte = register_module("wte", torch::nn::Embedding(cfg.vocab_size, cfg.n_embd));
  wpe = register_module("wpe", torch::nn::Embedding(cfg.context_length, cfg.n_embd));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t l = 0; l < cfg.n_layer; ++l) layers->push_back(Layer(cfg));
  ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg.n_embd})));
  if (cfg.block_units > 0)  // a buffer: it follows the model's device; set_unit_table fills it
    unit_table = register_buffer("unit_table", torch::ones({cfg.vocab_size, cfg.n_embd}));
  if (!cfg.tie_weights)
    lm_head = register_module(
        "lm_head", torch::nn::Linear(torch::nn::LinearOptions(cfg.n_embd, cfg.vocab_size).bias(false)));

  // GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 n_layer).
  torch::NoGradGuard no_grad;
  const double resid_std = 0.02 / std::sqrt(2.0 * static_cast<double>(cfg.n_layer));
  for (auto& p : named_parameters()) {
    const auto& name = p.key();
    auto& t = p.value();
    if (name.find("ln_") != std::string::npos) continue;  // LayerNorm keeps ones/zeros
    if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
      t.zero_();
    } else if (name.find("c_proj.weight") != std::string::npos) {
      t.normal_(0.0, resid_std);
    } else {
      t.normal_(0.0, 0.02);
    }
  }
}

GptOutput GptImpl::forward(const torch::Tensor& idx, bool need_attn,
                           const std::vector<torch::Tensor>& attn_bias,
                           std::vector<AttentionTrace>* trace, const std::vector<BlockBias>* flash) {
  const int64_t T = idx.size(1);
  if (attn_bias.size() > 1 && static_cast<int64_t>(attn_bias.size()) != cfg.n_layer)
    throw ConfigError("attention biases: " + std::to_string(attn_bias.size()) + " given for " +
                      std::to_string(cfg.n_layer) + " layers; expected none, one, or one per layer");
  if (flash && static_cast<int64_t>(flash->size()) != cfg.n_layer)
    throw ConfigError("flash attention: " + std::to_string(flash->size()) + " block biases given for " +
                      std::to_string(cfg.n_layer) + " layers; expected one per layer");
  if (T > cfg.context_length)
    throw ConfigError("sequence length " + std::to_string(T) + " exceeds context_length " +
                      std::to_string(cfg.context_length));
  auto pos = torch::arange(T, torch::TensorOptions().dtype(torch::kLong).device(idx.device()));
  auto x = torch::dropout(wte(idx) + wpe(pos), cfg.dropout, is_training());  // (B, T, C)
  torch::Tensor unit_mask;  // (B, T, C): block units, the same in every layer
  if (cfg.block_units > 0) {
    if (!unit_table_set)
      throw ConfigError("this model reads block-structured units (block_units = " + std::to_string(cfg.block_units) +
                        ") but its token -> block table was not set (GptImpl::set_unit_table)");
    unit_mask = torch::nn::functional::embedding(idx, unit_table);
  }
  GptOutput out;
  if (trace) trace->assign(layers->size(), {});
  if (flash) out.flash.assign(layers->size(), {});
  const ActivationHook* h = hook ? &hook : nullptr;
  const auto point = [&](size_t l, const char* name) { return "blocks." + std::to_string(l) + "." + name; };
  for (size_t l = 0; l < layers->size(); ++l) {
    if (h) x = at_hook(h, point(l, "hook_resid_pre"), x);
    torch::Tensor probs;
    const torch::Tensor none;
    const auto& bias = attn_bias.empty() ? none : attn_bias[attn_bias.size() == 1 ? 0 : l];
    x = layers[l]->as<Layer>()->forward(x, need_attn, need_attn ? &probs : nullptr, bias,
                                        trace ? &(*trace)[l] : nullptr, unit_mask,
                                        flash ? &(*flash)[l] : nullptr, flash ? &out.flash[l] : nullptr);
    if (need_attn) out.attn.push_back(probs);
    if (h) x = at_hook(h, point(l, "hook_resid_post"), x);
  }
  x = ln_f(x);
  if (h) x = at_hook(h, "ln_final.hook_normalized", x);
  out.logits = lm_head ? fused_linear(lm_head, x) : at::linear(x, wte->weight);  // (B, T, V)
  return out;
}

torch::Tensor GptImpl::loss(const torch::Tensor& logits, const torch::Tensor& targets) {
  return torch::nn::functional::cross_entropy(
      logits.reshape({-1, logits.size(-1)}).to(torch::kFloat), targets.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-1));
}

void GptImpl::set_hook(ActivationHook fn) {
  hook = std::move(fn);
  const ActivationHook* h = hook ? &hook : nullptr;
  for (size_t l = 0; l < layers->size(); ++l) {
    auto layer = layers[l]->as<Layer>();
    layer->hook = layer->attn->hook = h;
    layer->hook_prefix = "blocks." + std::to_string(l) + ".";
    layer->attn->hook_prefix = layer->hook_prefix + "attn.";
  }
}

void GptImpl::set_unit_table(const torch::Tensor& table) {
  if (cfg.block_units == 0) throw ConfigError("set_unit_table: this model has no block units (block_units = 0)");
  if (table.dim() != 2 || table.size(0) != cfg.vocab_size || table.size(1) != cfg.n_embd)
    throw ConfigError("set_unit_table: expected a (" + std::to_string(cfg.vocab_size) + ", " +
                      std::to_string(cfg.n_embd) + ") table");
  torch::NoGradGuard no_grad;
  unit_table.copy_(table);
  unit_table_set = true;
}

void GptImpl::set_causal(bool causal) {
  cfg.causal = causal;
  for (const auto& m : *layers) m->as<Layer>()->attn->causal = causal;
}

void GptImpl::set_temperature(double tau) {
  if (!(tau > 0 && std::isfinite(tau)))
    throw ConfigError("attention temperature tau = " + std::to_string(tau) + " is impossible; expected > 0");
  cfg.attn_temperature = tau;
  for (const auto& m : *layers) {
    auto& a = *m->as<Layer>()->attn;
    a.scale = 1.0 / (tau * std::sqrt(static_cast<double>(a.head_dim)));
  }
}

int64_t GptImpl::num_params() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

int64_t parameter_count(const ModelConfig& cfg) {
  // mirrors the constructors above: embeddings, per layer (ln_1, c_attn, c_proj, ln_2, mlp), ln_f, head
  const long double C = cfg.n_embd, A = cfg.attn_width(), V = cfg.vocab_size;
  const long double layer = 2 * C + (C * 3 * A + 3 * A) + (A * C + C) + 2 * C + (C * 4 * C + 4 * C) + (4 * C * C + C);
  const long double n = V * C + cfg.context_length * C + cfg.n_layer * layer + 2 * C + (cfg.tie_weights ? 0 : C * V);
  return n >= 9.2e18L ? INT64_MAX : static_cast<int64_t>(n);
}

double GptImpl::flops_per_token() const {
  const double N = static_cast<double>(num_params());
  return 6.0 * N + 12.0 * cfg.n_layer * cfg.context_length * cfg.n_embd;
}

}  // namespace localist
