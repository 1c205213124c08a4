#pragma once
// The dial's schedule in training (docs/design.md §1.2): constant, or a linear ramp from 0 to lambda
// over the first `lambda_ramp` steps, so a model can learn its content before it is localised.
// The per-layer (progressive) part of the schedule is the Dial's layer_power.
#include <cstdint>

#include "localist/core/config.h"

namespace localist {

// lambda in force at optimizer step `step` (0-based): lambda * min(1, (step + 1) / ramp).
double lambda_at_step(const LocalistConfig& c, int64_t step);

}  // namespace localist
