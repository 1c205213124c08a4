#pragma once
// Learning rate at a step: linear warmup from lr/warmup to lr, then cosine decay to min_lr at
// max_steps (nanoGPT's get_lr).
#include <cstdint>

namespace localist {

double lr_at(int64_t step, double lr, double min_lr, int64_t warmup_steps, int64_t max_steps);

}  // namespace localist
