#include "localist/metrics/block_recovery.h"

#include <algorithm>

#include "localist/metrics/cluster_agreement.h"

namespace localist {
namespace {

int64_t class_of(const std::map<int64_t, int64_t>& found, int64_t type) {
  const auto it = found.find(type);
  return it == found.end() ? 0 : it->second;
}

}  // namespace

nlohmann::json block_recovery(const std::vector<TrueBlock>& truth, const std::map<int64_t, int64_t>& found) {
  std::vector<int64_t> a, b;                 // per typed word: true block, recovered class
  std::map<int64_t, std::map<int64_t, int64_t>> members;  // class -> true block -> types
  for (size_t i = 0; i < truth.size(); ++i)
    for (int64_t t : truth[i].types) {
      const int64_t c = class_of(found, t);
      a.push_back(static_cast<int64_t>(i)), b.push_back(c);
      ++members[c][static_cast<int64_t>(i)];
    }
  nlohmann::json blocks = nlohmann::json::array();
  int64_t exact = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    std::map<int64_t, int64_t> where;  // class -> this block's types in it
    for (int64_t t : truth[i].types) ++where[class_of(found, t)];
    const auto best = std::max_element(where.begin(), where.end(),
                                       [](const auto& x, const auto& y) { return x.second < y.second; });
    const int64_t n = static_cast<int64_t>(truth[i].types.size());
    int64_t foreign = 0;
    if (best != where.end())
      for (const auto& [block, count] : members[best->first])
        if (block != static_cast<int64_t>(i)) foreign += count;
    const bool is_exact = best != where.end() && best->second == n && foreign == 0;
    exact += is_exact;
    blocks.push_back({{"name", truth[i].name}, {"types", n}, {"class", best == where.end() ? -1 : best->first},
                      {"share", n ? static_cast<double>(best->second) / n : 0.0}, {"foreign", foreign},
                      {"exact", is_exact}});
  }
  return {{"types", a.size()},
          {"true_blocks", truth.size()},
          {"adjusted_rand_index", adjusted_rand_index(a, b)},
          {"purity", purity(a, b)},
          {"exact", exact},
          {"exact_fraction", truth.empty() ? 0.0 : static_cast<double>(exact) / truth.size()},
          {"blocks", blocks}};
}

}  // namespace localist
