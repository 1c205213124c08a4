#pragma once
// One optimizer step, the same for the trainer and for the recruiter's fine-tunes
// (docs/design.md, "The step"):
//   accumulate_gradients   forward + backward over the micro-batches (gradient accumulation),
//                          the localist objective (dial bias, attention penalty) on each
//   step_gradient_norm     ||g|| on the device; NaN or Inf exactly when some gradient is
//   apply_update           clip, AdamW, then the weight-group proximal step (exact zeros)
// Nothing here synchronises with the host: the caller decides when to look at the numbers.
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "localist/data/batcher.h"
#include "localist/loss/localist_loss.h"
#include "localist/model/gpt.h"
#include "localist/train/adamw.h"

namespace localist {

class GradientSync;

struct StepSettings {
  int64_t micro_batches = 1;        // gradient accumulation: batches summed into one step
  double grad_clip = 0;             // max ||g||; 0: no clipping
  bool bf16 = false;                // the forward under bf16 autocast (TrainConfig::precision)
  double alpha_w = 0;               // weight-group proximal step strength (0: off)
  int64_t unit_groups = 0;          // K groups of d_model for that step
  bool cross_groups = false;        // the prox acts on the cross-block groups (cross_group_prox.h)
  GradientSync* sync = nullptr;     // distributed: all-reduces start in the last backward
  bool poison_gradient = false;     // fault injection (tests): this step's gradient is NaN

  // A run's settings: accumulation and clipping from `train`; the weight-group proximal step
  // when the dial and alpha_W are both on (lambda * alpha_W > 0, lambda the highest a step can
  // draw), as docs/design.md §1.2 says.
  static StepSettings of_run(const TrainConfig& train, const LocalistConfig& localist);
};

struct StepLosses {
  torch::Tensor ce;     // mean cross-entropy over the micro-batches, device scalar
  torch::Tensor r_att;  // mean attention penalty (0 when off), device scalar
};

// batch(m): micro-batch m's (x, y) on the CPU; each micro-batch's loss is scaled by 1/n so the
// summed gradient is the mean's. The caller zeroes gradients first.
StepLosses accumulate_gradients(Gpt& model, const LocalistObjective& objective,
                                const std::function<data::Batch(int64_t micro)>& batch,
                                const StepSettings& s);

// The norm of the gradients in `params` and whether it and `loss` are finite (device scalars).
struct GradientCheck {
  torch::Tensor norm, finite;
};
GradientCheck step_gradient_norm(const std::vector<torch::Tensor>& params, const torch::Tensor& loss);

// Clip to s.grad_clip with the precomputed norm, AdamW at lr, then soft-threshold the weight
// groups with step lr * lambda_l * alpha_W (objective.layer_lambda holds lambda_l).
void apply_update(Gpt& model, AdamW& opt, const std::vector<torch::Tensor>& params,
                  const torch::Tensor& grad_norm, double lr, const LocalistObjective& objective,
                  const StepSettings& s);

}  // namespace localist
