#include "localist/train/adamw.h"

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
  if (opt_.sgd) {
    for (auto& s : slots_) {
      if (!s.param.grad().defined()) continue;
      if (s.decay && opt_.weight_decay > 0) s.param.mul_(1.0 - opt_.lr * opt_.weight_decay);
      s.param.add_(s.param.grad(), -opt_.lr);
    }
    return;
  }
  // one fused multi-tensor kernel per weight-decay group (torch.optim.AdamW(fused=True)'s
  // update: the same formula, no per-parameter op launches, no host synchronisation)
  for (const bool decay : {true, false}) {
    std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
    for (auto& s : slots_) {
      if (s.decay != decay || !s.param.grad().defined()) continue;
      params.push_back(s.param);
      grads.push_back(s.param.grad());
      exp_avgs.push_back(s.exp_avg);
      exp_avg_sqs.push_back(s.exp_avg_sq);
    }
    if (params.empty()) continue;
    if (!step_.defined() || step_.device() != params[0].device())
      step_ = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat).device(params[0].device()));
    step_.fill_(static_cast<double>(t_));  // the kernel reads the step count, it does not advance it
    steps.assign(params.size(), step_);
    at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, opt_.lr,
                      opt_.beta1, opt_.beta2, decay ? opt_.weight_decay : 0.0, opt_.eps,
                      /*amsgrad=*/false, /*maximize=*/false);
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
