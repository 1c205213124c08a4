#pragma once
// bf16 mixed precision: inside the guard, PyTorch's autocast runs the matmuls and attention on
// the device in bfloat16 while the weights (the AdamW master copy), LayerNorm, softmax
// reductions and the loss stay in float32 (PyTorch's autocast op lists, the same as
// torch.autocast(device, dtype=torch.bfloat16) in Python). A disabled guard does nothing.
#include <torch/torch.h>

namespace localist {

class Bf16Autocast {
 public:
  Bf16Autocast(const torch::Device& device, bool enabled);
  ~Bf16Autocast();
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  at::DeviceType type_;
  bool enabled_;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kFloat;
};

}  // namespace localist
