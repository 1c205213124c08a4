#include "localist/train/step.h"

#include <limits>

#include "localist/core/autocast.h"
#include "localist/loss/cross_group_prox.h"
#include "localist/loss/weight_group_prox.h"
#include "localist/train/gradient_clip.h"
#include "localist/train/gradient_sync.h"
#include "localist/train/lambda_schedule.h"

namespace localist {

StepSettings StepSettings::of_run(const TrainConfig& train, const LocalistConfig& localist) {
  StepSettings s;
  s.micro_batches = train.grad_accum;
  s.grad_clip = train.grad_clip;
  s.bf16 = train.precision == "bf16";
  s.alpha_w = highest_training_lambda(localist) * localist.alpha_w > 0 ? localist.alpha_w : 0;
  s.unit_groups = localist.unit_groups;
  s.cross_groups = localist.cross_groups;
  return s;
}

StepLosses accumulate_gradients(Gpt& model, const LocalistObjective& objective,
                                const std::function<data::Batch(int64_t micro)>& batch,
                                const StepSettings& s) {
  const auto device = model->parameters().front().device();
  const auto on_device = torch::TensorOptions().device(device);
  StepLosses sum{torch::zeros({}, on_device), torch::zeros({}, on_device)};
  const double scale = 1.0 / static_cast<double>(s.micro_batches);
  for (int64_t micro = 0; micro < s.micro_batches; ++micro) {
    if (s.sync && micro + 1 == s.micro_batches) s.sync->arm();  // all-reduce in the last backward
    const auto b = batch(micro);
    const auto x = b.x.to(device, /*non_blocking=*/true), y = b.y.to(device, true);
    // the dial acts in training too (docs/design.md, "The dial"): logit bias and penalty
    const auto l = [&] {
      Bf16Autocast autocast(device, s.bf16);  // the backward follows the casts it recorded
      return localist_loss(model, x, y, objective, b.x);
    }();
    auto total = l.total() * scale;
    if (s.poison_gradient) total = total * std::numeric_limits<double>::quiet_NaN();
    total.backward();
    sum.ce += l.ce.detach() * scale;
    if (l.r_att.defined()) sum.r_att += l.r_att.detach() * scale;
  }
  return sum;
}

GradientCheck step_gradient_norm(const std::vector<torch::Tensor>& params, const torch::Tensor& loss) {
  auto norm = gradient_norm(params);
  auto finite = torch::isfinite(norm) & torch::isfinite(loss);
  return {norm, finite};
}

void apply_update(Gpt& model, AdamW& opt, const std::vector<torch::Tensor>& params,
                  const torch::Tensor& grad_norm, double lr, const LocalistObjective& objective,
                  const StepSettings& s) {
  if (s.grad_clip > 0) clip_gradients(params, grad_norm, s.grad_clip);
  opt.set_lr(lr);
  opt.step();
  if (s.alpha_w > 0) {  // effect 3 of the dial: group soft-thresholding, exact zeros
    std::vector<double> steps;
    for (double l : objective.layer_lambda) steps.push_back(lr * l * s.alpha_w);
    if (s.cross_groups) cross_group_prox(model, s.unit_groups, steps);
    else weight_group_prox(model, s.unit_groups, steps);
  }
}

}  // namespace localist
