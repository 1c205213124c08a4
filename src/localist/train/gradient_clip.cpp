#include "localist/train/gradient_clip.h"

namespace localist {

torch::Tensor gradient_norm(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> norms;
  for (const auto& p : params)
    if (p.grad().defined()) norms.push_back(p.grad().norm(2));
  if (norms.empty()) return torch::zeros({});
  return norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
}

void clip_gradients(const std::vector<torch::Tensor>& params, const torch::Tensor& norm,
                    double max_norm) {
  torch::NoGradGuard no_grad;
  const auto coef = torch::clamp(max_norm / (norm + 1e-6), c10::nullopt, 1.0);
  for (const auto& p : params)
    if (p.grad().defined()) p.grad().mul_(coef);
}

}  // namespace localist
