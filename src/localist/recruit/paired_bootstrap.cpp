#include "localist/recruit/paired_bootstrap.h"

#include <algorithm>
#include <random>
#include <string>

#include "localist/core/errors.h"
#include "localist/data/portable_random.h"

namespace localist {

BootstrapInterval paired_bootstrap(const std::vector<float>& with, const std::vector<float>& without,
                                   int64_t window, int64_t resamples, double level, uint64_t seed) {
  if (with.size() != without.size() || with.empty() || window < 1 || resamples < 1 || !(level > 0 && level < 1))
    throw InternalError("paired_bootstrap: " + std::to_string(with.size()) + " vs " + std::to_string(without.size()) +
                        " predictions, window " + std::to_string(window));
  // per window: the sum of its differences and its size
  std::vector<double> sum;
  std::vector<int64_t> size;
  for (size_t t = 0; t < with.size(); ++t) {
    if (t % window == 0) sum.push_back(0), size.push_back(0);
    sum.back() += static_cast<double>(with[t]) - without[t];
    ++size.back();
  }
  const int64_t W = static_cast<int64_t>(sum.size());
  BootstrapInterval r;
  double total = 0;
  for (double s : sum) total += s;
  r.mean = total / with.size();
  r.level = level, r.windows = W, r.resamples = resamples;
  std::mt19937_64 rng(data::splitmix64(seed));
  std::vector<double> means;
  for (int64_t b = 0; b < resamples; ++b) {
    double s = 0;
    int64_t n = 0;
    for (int64_t w = 0; w < W; ++w) {
      const auto k = data::uniform_below(rng, static_cast<uint64_t>(W));
      s += sum[k], n += size[k];
    }
    means.push_back(s / n);
  }
  std::sort(means.begin(), means.end());
  const auto at = [&](double q) { return means[std::min<int64_t>(resamples - 1, static_cast<int64_t>(q * resamples))]; };
  r.lo = at((1 - level) / 2);
  r.hi = at(1 - (1 - level) / 2);
  return r;
}

}  // namespace localist
