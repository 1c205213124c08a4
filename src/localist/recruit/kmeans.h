#pragma once
// k-means (Lloyd) from several seeded k-means++ starts; the tightest clustering wins.
// Deterministic in `seed`. Used to split token types (recruit/type_clusters) and to find the
// domains of a corpus (recruit/domain_clusters).
#include <cstdint>

#include <torch/torch.h>

namespace localist {

struct KMeans {
  torch::Tensor assign;   // (P,) int64 cluster of each point
  torch::Tensor centres;  // (k, D)
  double within = 0;      // sum of squared distances to the assigned centres
};

// points: (P, D) float64, P >= k >= 1.
KMeans kmeans(const torch::Tensor& points, int64_t k, int64_t restarts, int64_t iterations, uint64_t seed);

}  // namespace localist
