#include "localist/train/adamw.h"

#include <cmath>

#include "localist/core/errors.h"

namespace localist {

AdamW::AdamW(std::vector<std::pair<std::string, torch::Tensor>> params, AdamWOptions opt)
    : opt_(opt) {
  for (auto& [name, p] : params) {
    if (!p.requires_grad()) continue;
    slots_.push_back({name, p, torch::zeros_like(p), torch::zeros_like(p), p.dim() >= 2});
  }
}

void AdamW::zero_grad() {
  for (auto& s : slots_)
    if (s.param.grad().defined()) s.param.mutable_grad().zero_();
}

void AdamW::step() {
  torch::NoGradGuard no_grad;
  ++t_;
  const double bc1 = 1.0 - std::pow(opt_.beta1, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(opt_.beta2, static_cast<double>(t_));
  for (auto& s : slots_) {
    const auto& g = s.param.grad();
    if (!g.defined()) continue;
    if (s.decay && opt_.weight_decay > 0) s.param.mul_(1.0 - opt_.lr * opt_.weight_decay);
    s.exp_avg.mul_(opt_.beta1).add_(g, 1.0 - opt_.beta1);
    s.exp_avg_sq.mul_(opt_.beta2).addcmul_(g, g, 1.0 - opt_.beta2);
    auto denom = (s.exp_avg_sq.sqrt() / std::sqrt(bc2)).add_(opt_.eps);
    s.param.addcdiv_(s.exp_avg, denom, -opt_.lr / bc1);
  }
}

TensorMap AdamW::state() const {
  TensorMap m;
  for (const auto& s : slots_) {
    m["exp_avg." + s.name] = s.exp_avg;
    m["exp_avg_sq." + s.name] = s.exp_avg_sq;
  }
  m["step"] = torch::tensor(t_, torch::kLong);
  return m;
}

void AdamW::load_state(const TensorMap& state) {
  auto get = [&](const std::string& key, const torch::Tensor& like) {
    auto it = state.find(key);
    if (it == state.end()) throw CheckpointError("optimizer state lacks '" + key + "'");
    if (it->second.sizes() != like.sizes())
      throw CheckpointError("optimizer state '" + key + "' has the wrong shape");
    return it->second.to(like.device(), like.scalar_type());
  };
  torch::NoGradGuard no_grad;
  for (auto& s : slots_) {
    s.exp_avg.copy_(get("exp_avg." + s.name, s.exp_avg));
    s.exp_avg_sq.copy_(get("exp_avg_sq." + s.name, s.exp_avg_sq));
  }
  auto it = state.find("step");
  if (it == state.end()) throw CheckpointError("optimizer state lacks 'step'");
  t_ = it->second.item<int64_t>();
}

}  // namespace localist
