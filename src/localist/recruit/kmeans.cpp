#include "localist/recruit/kmeans.h"

#include <limits>
#include <random>
#include <vector>

#include "localist/core/errors.h"

namespace localist {

KMeans kmeans(const torch::Tensor& points, int64_t k, int64_t restarts, int64_t iterations, uint64_t seed) {
  const int64_t P = points.size(0);
  if (k < 1 || P < k) throw ConfigError("k-means: " + std::to_string(k) + " clusters of " + std::to_string(P) + " points");
  std::mt19937_64 rng(seed);
  KMeans best;
  best.within = std::numeric_limits<double>::infinity();
  for (int64_t start = 0; start < restarts; ++start) {
    // k-means++: each next centre drawn in proportion to the squared distance to the nearest
    std::vector<int64_t> chosen{static_cast<int64_t>(rng() % static_cast<uint64_t>(P))};
    auto d = (points - points[chosen[0]]).pow(2).sum(1);  // (P,)
    while (static_cast<int64_t>(chosen.size()) < k) {
      int64_t next = (chosen.back() + 1) % P;  // every point equal: any other point
      if (d.sum().item<double>() > 0) {
        std::vector<double> w(d.data_ptr<double>(), d.data_ptr<double>() + P);
        next = std::discrete_distribution<int64_t>(w.begin(), w.end())(rng);
      }
      chosen.push_back(next);
      d = torch::minimum(d, (points - points[next]).pow(2).sum(1));
    }
    auto c = points.index({torch::tensor(chosen)}).clone();  // (k, D)
    torch::Tensor a;
    for (int64_t it = 0; it < iterations; ++it) {
      auto next = torch::cdist(points.unsqueeze(0), c.unsqueeze(0)).squeeze(0).argmin(1);
      if (a.defined() && next.equal(a)) break;
      a = next;
      for (int64_t j = 0; j < k; ++j) {
        auto members = a.eq(j);
        if (members.any().item<bool>()) c[j] = points.index({members}).mean(0);
      }
    }
    const double within = (points - c.index({a})).pow(2).sum().item<double>();
    if (within < best.within) best.within = within, best.assign = a, best.centres = c;
  }
  return best;
}

}  // namespace localist
