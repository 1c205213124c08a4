#pragma once
// The dial's schedule in training (docs/design.md §1.2): constant, or a linear ramp from 0 to lambda
// over the first `lambda_ramp` steps, so a model can learn its content before it is localised;
// or, with `lambda_sample` = "LO:HI", a lambda drawn uniformly in [LO, HI] for each step (dial-robust
// training, docs/dial.md: one checkpoint meant to be good wherever the dial is put at inference).
// The per-layer (progressive) part of the schedule is the Dial's layer_power.
#include <cstdint>

#include "localist/core/config.h"

namespace localist {

// lambda in force at optimizer step `step` (0-based): lambda * min(1, (step + 1) / ramp), where
// lambda is the drawn one when sampling (a function of seed and step only: a resumed run draws
// the same lambdas, and so does every rank).
double lambda_at_step(const LocalistConfig& c, int64_t step, uint64_t seed = 0);

// The largest lambda any training step can have: HI when sampling, else lambda. The penalties
// are on in training iff this times their alpha is > 0 (a run with --lambda 0 --lambda-sample 0:1
// trains with them on the steps whose drawn lambda is > 0).
double highest_training_lambda(const LocalistConfig& c);

}  // namespace localist
