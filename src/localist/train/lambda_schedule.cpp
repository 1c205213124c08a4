#include "localist/train/lambda_schedule.h"

#include <algorithm>

#include "localist/data/portable_random.h"

namespace localist {
namespace {

// Uniform in [0, 1) from (seed, step): 53 random bits of a SplitMix64 hash.
double uniform_at(uint64_t seed, int64_t step) {
  const uint64_t h = data::splitmix64(data::splitmix64(seed ^ 0x6c616d6264617321ull) + static_cast<uint64_t>(step));
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

}  // namespace

double lambda_at_step(const LocalistConfig& c, int64_t step, uint64_t seed) {
  double lambda = c.lambda;
  if (!c.lambda_sample.empty()) {
    const auto [lo, hi] = *parse_lambda_range(c.lambda_sample);  // validated with the config
    lambda = lo + (hi - lo) * uniform_at(seed, step);
  }
  if (c.lambda_ramp <= 0) return lambda;
  return lambda * std::min(1.0, static_cast<double>(step + 1) / static_cast<double>(c.lambda_ramp));
}

double highest_training_lambda(const LocalistConfig& c) {
  return c.lambda_sample.empty() ? c.lambda : parse_lambda_range(c.lambda_sample)->second;
}

}  // namespace localist
