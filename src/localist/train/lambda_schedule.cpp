#include "localist/train/lambda_schedule.h"

#include <algorithm>

namespace localist {

double lambda_at_step(const LocalistConfig& c, int64_t step) {
  if (c.lambda_ramp <= 0) return c.lambda;
  return c.lambda * std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(c.lambda_ramp));
}

}  // namespace localist
