#pragma once
// The locality dial's logit bias (docs/design.md §1.2, effect 1): works at inference on any
// checkpoint, no retraining.  b_tj = -lambda_l * s_t * kappa * [beta(j) != b(t)], kappa in nats,
// where lambda_l is the dial at layer l (progressive: lambda * (l / (L-1))^beta, every layer
// alike at beta = 0) and s_t the rules' per-block scale of query t's target (1 by default).
// kappa = infinity is a hard mask wherever lambda_l * s_t > 0. A query whose target block holds
// no visible key is left unbiased (it would have nothing to read).
#include <limits>
#include <vector>

#include <torch/torch.h>

#include "localist/core/config.h"
#include "localist/blocks/block_map.h"

namespace localist {

struct Dial {
  double lambda = 0.0;       // in [0, 1]
  double kappa = 10.0;       // nats; std::numeric_limits<double>::infinity() = hard mask
  double layer_power = 0.0;  // beta of the progressive schedule; 0 = the same lambda everywhere

  // The dial a config asks for at inference (lambda 0 when its logit bias is switched off).
  static Dial from_config(const LocalistConfig& c);
  void validate() const;  // ConfigError naming lambda or kappa
  bool active() const { return lambda > 0.0; }
  // lambda_l for l = 0..n_layer-1: lambda * (l / (L-1))^beta (a 1-layer model: lambda).
  std::vector<double> layer_lambdas(int64_t n_layer) const;
};

// c_t = lambda * s_t * kappa >= 0, the penalty of query t's off-target keys (inf: a hard mask
// where lambda * s_t > 0), float32 on the layout's device: (B, T), or (1, 1) when the rules scale
// no block. Before the "no visible target key" exemption (dial_bias, block_bias apply it).
torch::Tensor dial_penalty(const BlockLayout& layout, double lambda, double kappa);

// (B, 1, T, T) additive bias for the attention logits (float32) at the dial's lambda, on the
// layout's device. causal = false: future keys are visible too (a leaking model), so they are
// biased as well.
torch::Tensor dial_bias(const BlockLayout& layout, const Dial& dial, bool causal = true);
// One bias per layer (undefined where lambda_l = 0), for GptImpl::forward.
std::vector<torch::Tensor> dial_biases(const BlockLayout& layout, const Dial& dial, int64_t n_layer,
                                       bool causal = true);
// The biases a forward of a model shaped `cfg` over idx (B, T) runs with under `blocks` and
// `dial`: those of idx's layout, or none (empty, no layout computed) when the dial is off.
std::vector<torch::Tensor> dial_biases(const BlockMap& blocks, const torch::Tensor& idx, const Dial& dial,
                                       const ModelConfig& cfg);

}  // namespace localist
