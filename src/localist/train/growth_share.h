#pragma once
// Growth under data parallelism: rank 0 decides (its fine-tunes read its own batches); every
// rank then applies rank 0's outcome, sent through the c10d store (the grown config and rules,
// the weights, the AdamW state), so the grown parameters are identical everywhere.
#include <optional>

#include <torch/torch.h>

#include "localist/train/distributed.h"
#include "localist/train/growth_hook.h"

namespace localist {

// On rank 0 `grown` is its decision (or nothing); on the others it is ignored and replaced.
std::optional<Grown> share_growth(Distributed& dist, int64_t step, std::optional<Grown> grown,
                                  const torch::Device& device);

}  // namespace localist
