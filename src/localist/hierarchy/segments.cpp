#include "localist/hierarchy/segments.h"

#include <string>

#include "localist/core/errors.h"

namespace localist {

std::vector<std::vector<int32_t>> segments(const std::vector<int32_t>& ids, int64_t length, int64_t cap) {
  if (length < 2) throw ConfigError(setting("segment_tokens") + " must be >= 2 (was " + std::to_string(length) + ")");
  std::vector<std::vector<int32_t>> out;
  for (size_t at = 0; at + static_cast<size_t>(length) <= ids.size(); at += static_cast<size_t>(length)) {
    if (cap > 0 && static_cast<int64_t>(out.size()) == cap) break;
    out.emplace_back(ids.begin() + static_cast<int64_t>(at), ids.begin() + static_cast<int64_t>(at) + length);
  }
  return out;
}

}  // namespace localist
