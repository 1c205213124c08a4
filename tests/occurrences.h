#pragma once
// How many times `what` occurs in `s` (non-overlapping): the report tests count SVG elements.
#include <cstdint>
#include <string>

namespace localist::testing {

inline int64_t occurrences(const std::string& s, const std::string& what) {
  int64_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

}  // namespace localist::testing
