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
  const int64_t T = layout.block.size(1);
  auto opts = torch::TensorOptions().device(layout.block.device());
  auto causal = torch::ones({T, T}, opts.dtype(torch::kBool)).tril();                // j <= t
  auto off_target = layout.target.unsqueeze(2).ne(layout.block.unsqueeze(1));        // (B, T, T)
  auto has_target = (~off_target & causal).any(-1, /*keepdim=*/true);                // (B, T, 1)
  off_target = off_target & has_target;
  const double penalty = std::isinf(dial.kappa) ? (dial.lambda > 0 ? -INFINITY : 0.0)
                                                : -dial.lambda * dial.kappa;
  auto bias = torch::zeros(off_target.sizes(), opts.dtype(torch::kFloat));
  bias.masked_fill_(off_target, penalty);
  return bias.unsqueeze(1);  // (B, 1, T, T)
}

}  // namespace localist
