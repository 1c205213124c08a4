#include "localist/model/grow_heads.h"

#include "localist/core/errors.h"

namespace localist {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Copies `old` (a tensor of the `from` model) into the matching entries of `grown` (same name
// in the `to` model); entries of the new heads keep what `grown` holds.
void embed(const std::string& name, const torch::Tensor& old, torch::Tensor grown,
           const ModelConfig& from, const ModelConfig& to) {
  const int64_t H0 = from.n_head, H1 = to.n_head, Dh = from.head_dim(), C = from.n_embd;
  if (ends_with(name, "attn.c_attn.weight")) {         // (3 H Dh, C)
    grown.view({3, H1, Dh, C}).narrow(1, 0, H0).copy_(old.view({3, H0, Dh, C}));
  } else if (ends_with(name, "attn.c_attn.bias")) {    // (3 H Dh)
    grown.view({3, H1, Dh}).narrow(1, 0, H0).copy_(old.view({3, H0, Dh}));
  } else if (ends_with(name, "attn.c_proj.weight")) {  // (C, H Dh)
    grown.narrow(1, 0, H0 * Dh).copy_(old);
  } else {
    if (old.sizes() != grown.sizes())
      throw ConfigError("grow_heads: '" + name + "' changed shape unexpectedly");
    grown.copy_(old);
  }
}

// The shape `old` (named `name` in the `from` model) has in the `to` model.
std::vector<int64_t> grown_sizes(const std::string& name, const torch::Tensor& old,
                                 const ModelConfig& from, const ModelConfig& to) {
  auto sizes = old.sizes().vec();
  const int64_t extra = (to.n_head - from.n_head) * from.head_dim();
  if (ends_with(name, "attn.c_attn.weight") || ends_with(name, "attn.c_attn.bias"))
    sizes[0] += 3 * extra;  // q, k and v each gain the new heads
  else if (ends_with(name, "attn.c_proj.weight"))
    sizes[1] += extra;
  return sizes;
}

}  // namespace

ModelConfig with_extra_heads(const ModelConfig& cfg, int64_t extra) {
  if (extra < 0) throw ConfigError("grow_heads: extra = " + std::to_string(extra) + " < 0");
  ModelConfig out = cfg;
  out.head_size = cfg.head_dim();
  out.n_head = cfg.n_head + extra;
  return out;
}

Gpt grow_heads(Gpt& model, int64_t extra, uint64_t seed) {
  const ModelConfig to = with_extra_heads(model->cfg, extra);
  const auto device = model->parameters().front().device();
  torch::manual_seed(seed);  // the new heads' q, k, v draw
  Gpt grown(to);
  grown->to(device);
  torch::NoGradGuard no_grad;
  auto old = model->named_parameters();
  for (auto& p : grown->named_parameters()) {
    auto& t = p.value();
    if (ends_with(p.key(), "attn.c_proj.weight")) t.zero_();  // new heads add nothing yet
    embed(p.key(), old[p.key()], t, model->cfg, to);
  }
  grown->train(model->is_training());
  return grown;
}

TensorMap grow_optimizer_state(const TensorMap& state, const ModelConfig& from, const ModelConfig& to) {
  TensorMap out;
  for (const auto& [key, old] : state) {
    const bool moment = key.rfind("exp_avg.", 0) == 0 || key.rfind("exp_avg_sq.", 0) == 0;
    if (!moment) {
      out[key] = old;  // "step"
      continue;
    }
    const std::string name = key.substr(key.find('.') + 1);
    auto grown = torch::zeros(grown_sizes(name, old, from, to), old.options());
    embed(name, old, grown, from, to);
    out[key] = grown;
  }
  return out;
}

}  // namespace localist
