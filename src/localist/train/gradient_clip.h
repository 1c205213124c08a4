#pragma once
// Gradient-norm clipping without a host sync. torch::nn::utils::clip_grad_norm_ in LibTorch
// returns the norm as a host double (a device sync every step); this is the same arithmetic
// kept on the device, and the norm doubles as the step's finiteness check (it is NaN or Inf
// exactly when some gradient is).
#include <vector>

#include <torch/torch.h>

namespace localist {

// Total L2 norm of the defined gradients, a device scalar (0 if there are none).
torch::Tensor gradient_norm(const std::vector<torch::Tensor>& params);

// Scales every gradient by min(1, max_norm / (norm + 1e-6)), as clip_grad_norm_ does.
void clip_gradients(const std::vector<torch::Tensor>& params, const torch::Tensor& norm,
                    double max_norm);

}  // namespace localist
