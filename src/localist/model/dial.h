#pragma once
// The locality dial's logit bias (DESIGN.md §1.2, effect 1): works at inference on any
// checkpoint, no retraining.  b_tj = -lambda * kappa * [beta(j) != b(t)], kappa in nats.
// kappa = infinity is a hard mask for any lambda > 0 (and no bias at lambda = 0). A query
// whose target block holds no visible key is left unbiased (it would have nothing to read).
#include <limits>

#include <torch/torch.h>

#include "localist/model/block_map.h"

namespace localist {

struct Dial {
  double lambda = 0.0;  // in [0, 1]
  double kappa = 10.0;  // nats; std::numeric_limits<double>::infinity() = hard mask

  void validate() const;  // ConfigError naming lambda or kappa
  bool active() const { return lambda > 0.0; }
};

// (B, 1, T, T) additive bias for the attention logits (float32), on the layout's device.
torch::Tensor dial_bias(const BlockLayout& layout, const Dial& dial);

}  // namespace localist
