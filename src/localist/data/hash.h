#pragma once
// FNV-1a (64-bit): a tiny, stable, dependency-free hash. Used as a cache key, not for security:
// it only has to change when the text or the tokenizer changes.
#include <cstdint>
#include <string_view>

namespace localist::data {

constexpr uint64_t kFnv1aOffset = 14695981039346656037ull;
constexpr uint64_t kFnv1aPrime = 1099511628211ull;

// Continues hashing from `h`, so several pieces can be chained into one key.
inline uint64_t fnv1a64(std::string_view bytes, uint64_t h = kFnv1aOffset) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnv1aPrime;
  }
  return h;
}

}  // namespace localist::data
