#pragma once
// AdamW (Loshchilov & Hutter) with decoupled weight decay, the same update as
// torch.optim.AdamW, run by LibTorch's fused multi-tensor kernel. Kept as our own class rather
// than torch::optim::AdamW so that its state is keyed by parameter *name*: checkpoints store it as plain tensors readable in
// Python, and features that grow parameters can extend it consistently.
#include <map>
#include <string>

#include <torch/torch.h>

#include "localist/core/safetensors.h"

namespace localist {

struct AdamWOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  // Plain SGD instead (p -= lr grad, decoupled decay kept; the moments stay zero): followed by
  // the weight-group prox it is proximal gradient descent (TrainConfig::optimizer = "sgd").
  bool sgd = false;
};

class AdamW {
 public:
  // Parameters named in no_decay get weight_decay 0 (nanoGPT: biases, LayerNorms, 1-D tensors).
  AdamW(std::vector<std::pair<std::string, torch::Tensor>> params, AdamWOptions opt);
  void step();  // applies one update from each parameter's .grad()
  void zero_grad();
  void set_lr(double lr) { opt_.lr = lr; }
  double lr() const { return opt_.lr; }
  int64_t steps() const { return t_; }

  // "exp_avg.<name>", "exp_avg_sq.<name>" and "step" (int64 scalar).
  TensorMap state() const;
  void load_state(const TensorMap& state);  // throws CheckpointError on mismatch

 private:
  struct Slot {
    std::string name;
    torch::Tensor param, exp_avg, exp_avg_sq;
    bool decay;
  };
  std::vector<Slot> slots_;
  AdamWOptions opt_;
  int64_t t_ = 0;
  torch::Tensor step_;  // t_ as the float scalar the fused kernel reads, on the parameters' device
};

}  // namespace localist
