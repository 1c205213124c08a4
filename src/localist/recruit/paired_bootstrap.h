#pragma once
// How sure a recruitment decision is (docs/recruitment.md, "Stable decisions"): Delta L_data is
// a mean of paired per-prediction differences d_t = NLL_with(t) - NLL_without(t) on the same
// held-out predictions. Predictions in one context window share their context, so the
// resampling unit is the window (a block bootstrap): `resamples` draws of as many windows as
// there are, with replacement, from a seeded generator; the interval is the percentile interval
// of the resampled means.
#include <cstdint>
#include <vector>

namespace localist {

struct BootstrapInterval {
  double mean = 0;          // the mean difference itself
  double lo = 0, hi = 0;    // the central `level` interval of the resampled means
  double level = 0.95;
  int64_t windows = 0, resamples = 0;
};

// with, without: per-prediction NLLs in the same order (equal lengths); `window` predictions per
// resampling unit (the last may be shorter). Throws InternalError on mismatched or empty input.
BootstrapInterval paired_bootstrap(const std::vector<float>& with, const std::vector<float>& without,
                                   int64_t window, int64_t resamples = 1000, double level = 0.95,
                                   uint64_t seed = 1);

}  // namespace localist
