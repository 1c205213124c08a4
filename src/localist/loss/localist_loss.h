#pragma once
// The training objective on one batch (docs/design.md §1.2): next-token cross-entropy under the
// dial's logit bias, plus the attention-group penalty when it is on. Shared by the trainer and
// by the recruiter's short fine-tunes (which step without gradient accumulation and without the
// weight-group proximal step: they score a candidate, they do not train the run).
#include <vector>

#include <torch/torch.h>

#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"

namespace localist {

struct LocalistObjective {
  const BlockMap* blocks = nullptr;
  Dial dial;                          // the logit bias in force (lambda 0: none)
  std::vector<double> layer_lambda;   // lambda_l for the attention penalty
  double alpha_att = 0;               // 0: no attention penalty
  bool penalty() const { return alpha_att > 0 && !layer_lambda.empty(); }
};

struct LocalistLoss {
  torch::Tensor ce;     // mean next-token cross-entropy (nats), with autograd history
  torch::Tensor r_att;  // the attention penalty, or undefined
  torch::Tensor total() const { return r_att.defined() ? ce + r_att : ce; }
};

// x, y: (B, T) on the model's device; x_host: the same tokens on the CPU when the caller has
// them (the block layout is read there: no copy back from the GPU).
LocalistLoss localist_loss(Gpt& model, const torch::Tensor& x, const torch::Tensor& y,
                           const LocalistObjective& objective, const torch::Tensor& x_host = {});

}  // namespace localist
