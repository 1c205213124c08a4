#pragma once
// Unit groups of d_model: K contiguous column ranges, sizes differing by at most one. They are
// the groups of the weight-group penalty (loss/weight_group_prox.h) and, with block units
// (ModelConfig::block_units), the units each vocab block's tokens are read through.
#include <cstdint>
#include <utility>
#include <vector>

namespace localist {

// (start, size) of each of the k groups of n_embd units; ConfigError naming unit_groups unless
// 1 <= k <= n_embd.
std::vector<std::pair<int64_t, int64_t>> unit_groups(int64_t n_embd, int64_t k);

}  // namespace localist
