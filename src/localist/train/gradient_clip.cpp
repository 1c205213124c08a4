#include "localist/train/gradient_clip.h"

namespace localist {

namespace {
std::vector<torch::Tensor> defined_grads(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}
}  // namespace

// multi-tensor (foreach) kernels: one launch for all gradients, not one per parameter
torch::Tensor gradient_norm(const std::vector<torch::Tensor>& params) {
  const auto grads = defined_grads(params);
  if (grads.empty()) return torch::zeros({});
  return torch::stack(at::_foreach_norm(grads, 2)).norm(2);
}

void clip_gradients(const std::vector<torch::Tensor>& params, const torch::Tensor& norm,
                    double max_norm) {
  torch::NoGradGuard no_grad;
  const auto coef = torch::clamp(max_norm / (norm + 1e-6), c10::nullopt, 1.0);
  const auto grads = defined_grads(params);
  if (!grads.empty()) at::_foreach_mul_(grads, coef);
}

}  // namespace localist
