#pragma once
// The attention-group penalty (docs/design.md §1.2, effect 2): a group lasso over blocks of
// attention mass, pushing each query's mass off the blocks other than its target:
//   R_att = alpha * mean_{l,h,t} lambda_l sum_{i != b(t)} sqrt(|X_i(t)|) * ||a_t[X_i(t)]||_2
// with X_i(t) = {j <= t : beta(j) = i}. Differentiable (the norm's gradient at 0 is taken as 0).
#include <vector>

#include <torch/torch.h>

#include "localist/blocks/block_map.h"

namespace localist {

// probs: one (B, H, T, T) tensor per layer (with autograd history); returns a scalar.
// layer_lambda: lambda_l per layer (the progressive schedule), or one value for every layer.
torch::Tensor attention_group_penalty(const std::vector<torch::Tensor>& probs,
                                      const BlockLayout& layout,
                                      const std::vector<double>& layer_lambda, double alpha);

}  // namespace localist
