#include "localist/model/dial.h"

#include <cmath>

#include "localist/core/errors.h"

namespace localist {

void Dial::validate() const {
  if (!(lambda >= 0.0 && lambda <= 1.0))
    throw ConfigError("lambda = " + std::to_string(lambda) + " is outside [0, 1]");
  if (!(kappa > 0.0))
    throw ConfigError("kappa = " + std::to_string(kappa) + " is impossible; expected > 0 nats (or inf)");
}

torch::Tensor dial_bias(const BlockLayout& layout, const Dial& dial) {
  dial.validate();
  auto opts = torch::TensorOptions().device(layout.block.device());
  auto in_target = target_keys(layout);                                   // (B, T, T)
  // future keys are masked by attention itself; only visible off-target keys matter
  auto off_target = ~in_target & in_target.any(-1, /*keepdim=*/true);     // (B, T, T)
  const double penalty = std::isinf(dial.kappa) ? (dial.lambda > 0 ? -INFINITY : 0.0)
                                                : -dial.lambda * dial.kappa;
  auto bias = torch::zeros(off_target.sizes(), opts.dtype(torch::kFloat));
  bias.masked_fill_(off_target, penalty);
  return bias.unsqueeze(1);  // (B, 1, T, T)
}

}  // namespace localist
