#pragma once
// Random numbers that are identical on every platform and standard library. std::mt19937_64 is
// fully specified by the standard, but std::uniform_int_distribution is not, so corpora and
// batches drawn through it could differ between libstdc++ and libc++. We draw bounded integers
// ourselves instead.
#include <cstdint>
#include <random>

namespace localist::data {

// SplitMix64 finaliser: turns nearby seeds (step 7, step 8) into unrelated 64-bit states.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform integer in [0, n), n > 0, without modulo bias (rejects the ragged top of the range).
inline uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // a multiple of n (or 2^64 - ...)
  uint64_t r;
  do {
    r = rng();
  } while (r >= limit);
  return r % n;
}

}  // namespace localist::data
