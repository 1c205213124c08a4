#pragma once
// The attention-group penalty (DESIGN.md §1.2, effect 2): a group lasso over blocks of
// attention mass, pushing each query's mass off the blocks other than its target:
//   R_att = lambda * alpha * mean_{l,h,t} sum_{i != b(t)} sqrt(|X_i(t)|) * ||a_t[X_i(t)]||_2
// with X_i(t) = {j <= t : beta(j) = i}. Differentiable (the norm's gradient at 0 is taken as 0).
#include <vector>

#include <torch/torch.h>

#include "localist/model/block_map.h"

namespace localist {

// probs: one (B, H, T, T) tensor per layer (with autograd history); returns a scalar.
torch::Tensor attention_group_penalty(const std::vector<torch::Tensor>& probs,
                                      const BlockLayout& layout, double lambda, double alpha);

}  // namespace localist
