#include "localist/metrics/cluster_agreement.h"

#include <map>

#include "localist/core/errors.h"

namespace localist {
namespace {

double pairs(double n) { return n * (n - 1) / 2; }

void check(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  if (a.size() != b.size() || a.empty())
    throw ConfigError("cluster agreement needs two non-empty label lists of one length (" +
                      std::to_string(a.size()) + " vs " + std::to_string(b.size()) + ")");
}

}  // namespace

double adjusted_rand_index(const std::vector<int64_t>& truth, const std::vector<int64_t>& found) {
  check(truth, found);
  std::map<std::pair<int64_t, int64_t>, double> cell;
  std::map<int64_t, double> row, col;
  for (size_t i = 0; i < truth.size(); ++i) {
    cell[{truth[i], found[i]}] += 1;
    row[truth[i]] += 1;
    col[found[i]] += 1;
  }
  double index = 0, a = 0, b = 0;
  for (const auto& [k, n] : cell) index += pairs(n);
  for (const auto& [k, n] : row) a += pairs(n);
  for (const auto& [k, n] : col) b += pairs(n);
  const double expected = a * b / pairs(static_cast<double>(truth.size()));
  const double max = (a + b) / 2;
  return max == expected ? (index == expected ? 1.0 : 0.0) : (index - expected) / (max - expected);
}

double purity(const std::vector<int64_t>& truth, const std::vector<int64_t>& found) {
  check(truth, found);
  std::map<int64_t, std::map<int64_t, int64_t>> by_found;
  for (size_t i = 0; i < truth.size(); ++i) ++by_found[found[i]][truth[i]];
  int64_t best = 0;
  for (const auto& [f, counts] : by_found) {
    int64_t m = 0;
    for (const auto& [t, n] : counts) m = std::max(m, n);
    best += m;
  }
  return static_cast<double>(best) / static_cast<double>(truth.size());
}

}  // namespace localist
