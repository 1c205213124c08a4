#include "localist/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace localist {

double lr_at(int64_t step, double lr, double min_lr, int64_t warmup_steps, int64_t max_steps) {
  if (step < warmup_steps) return lr * static_cast<double>(step + 1) / warmup_steps;
  if (step >= max_steps || max_steps <= warmup_steps) return min_lr;
  const double progress =
      static_cast<double>(step - warmup_steps) / static_cast<double>(max_steps - warmup_steps);
  const double coeff = 0.5 * (1.0 + std::cos(M_PI * std::clamp(progress, 0.0, 1.0)));
  return min_lr + coeff * (lr - min_lr);
}

}  // namespace localist
