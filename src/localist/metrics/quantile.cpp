#include "localist/metrics/quantile.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace localist {

double quantile(std::vector<float> v, double q) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos)), hi = std::min(lo + 1, v.size() - 1);
  if (v[lo] == v[hi]) return v[lo];  // also keeps inf out of inf - inf
  return v[lo] + (pos - static_cast<double>(lo)) * (static_cast<double>(v[hi]) - v[lo]);
}

}  // namespace localist
