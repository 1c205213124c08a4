#include "localist/model/unit_groups.h"

#include <string>

#include "localist/core/errors.h"

namespace localist {

std::vector<std::pair<int64_t, int64_t>> unit_groups(int64_t n_embd, int64_t k) {
  if (k < 1 || k > n_embd)
    throw ConfigError("unit_groups = " + std::to_string(k) + " is impossible; expected 1.." +
                      std::to_string(n_embd) + " (at most one group per unit of d_model)");
  std::vector<std::pair<int64_t, int64_t>> g;
  int64_t start = 0;
  for (int64_t i = 0; i < k; ++i) {
    const int64_t size = n_embd / k + (i < n_embd % k ? 1 : 0);
    g.emplace_back(start, size);
    start += size;
  }
  return g;
}

}  // namespace localist
