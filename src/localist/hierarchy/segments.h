#pragma once
// Held-out text cut into the segments a hierarchy routes: consecutive, non-overlapping runs of
// `length` tokens from the start (a tail shorter than `length` is left out).
#include <cstdint>
#include <vector>

namespace localist {

// At most `cap` segments (0 = all); ConfigError if length < 2.
std::vector<std::vector<int32_t>> segments(const std::vector<int32_t>& ids, int64_t length, int64_t cap = 0);

}  // namespace localist
