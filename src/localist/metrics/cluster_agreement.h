#pragma once
// How well recovered blocks match true ones: the adjusted Rand index (Hubert & Arabie 1985;
// 1 = identical partitions, about 0 = chance, can be negative) and purity (each recovered block
// counted by its most common true block; 1 = no block mixes true blocks). Labels are any
// integers; the two vectors pair up item by item.
#include <cstdint>
#include <vector>

namespace localist {

double adjusted_rand_index(const std::vector<int64_t>& truth, const std::vector<int64_t>& found);
double purity(const std::vector<int64_t>& truth, const std::vector<int64_t>& found);

}  // namespace localist
