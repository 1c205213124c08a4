#include "localist/data/batcher.h"

#include <algorithm>
#include <random>

#include "localist/core/errors.h"
#include "localist/data/portable_random.h"

namespace localist::data {
namespace {

void check_shape(int64_t batch_size, int64_t block_size) {
  if (batch_size <= 0)
    throw ConfigError("batch_size = " + std::to_string(batch_size) + " is impossible; expected > 0");
  if (block_size <= 0)
    throw ConfigError("block_size = " + std::to_string(block_size) + " is impossible; expected > 0");
}

}  // namespace

Batch random_batch(const TokenFile& tokens, int64_t batch_size, int64_t block_size, uint64_t seed,
                   int64_t step, int64_t micro) {
  check_shape(batch_size, block_size);
  const int64_t n = tokens.size();
  if (n < block_size + 1)
    throw DataError(tokens.path() + ": " + std::to_string(n) +
                    " tokens, fewer than block_size + 1 = " + std::to_string(block_size + 1) +
                    " needed for one training window; use a smaller --block-size or more data");
  uint64_t mixed = splitmix64(seed);
  mixed = splitmix64(mixed ^ static_cast<uint64_t>(step));
  mixed = splitmix64(mixed ^ static_cast<uint64_t>(micro));
  std::mt19937_64 rng(mixed);

  auto x = torch::empty({batch_size, block_size}, torch::kLong);
  auto y = torch::empty({batch_size, block_size}, torch::kLong);
  int64_t* xp = x.data_ptr<int64_t>();
  int64_t* yp = y.data_ptr<int64_t>();
  const int32_t* data = tokens.data();
  const auto n_starts = static_cast<uint64_t>(n - block_size);  // starts 0 .. n - T - 1
  for (int64_t b = 0; b < batch_size; ++b) {
    const auto start = static_cast<int64_t>(uniform_below(rng, n_starts));
    const int32_t* src = data + start;
    int64_t* xr = xp + b * block_size;
    int64_t* yr = yp + b * block_size;
    for (int64_t t = 0; t < block_size; ++t) {
      xr[t] = src[t];
      yr[t] = src[t + 1];
    }
  }
  return {x, y};
}

std::vector<Batch> sequential_batches(const TokenFile& tokens, int64_t batch_size,
                                      int64_t block_size, int64_t max_tokens) {
  check_shape(batch_size, block_size);
  const int64_t n = tokens.size();
  if (n < 2)
    throw DataError(tokens.path() + ": " + std::to_string(n) +
                    " tokens, at least 2 are needed to predict one; the evaluation split is too "
                    "small");
  int64_t targets = n - 1;  // tokens 1..n-1
  if (max_tokens > 0) targets = std::min(targets, max_tokens);
  const int64_t windows = (targets + block_size - 1) / block_size;
  const int32_t* data = tokens.data();

  std::vector<Batch> batches;
  for (int64_t w0 = 0; w0 < windows; w0 += batch_size) {
    const int64_t rows = std::min(batch_size, windows - w0);
    auto x = torch::zeros({rows, block_size}, torch::kLong);
    auto y = torch::full({rows, block_size}, kIgnoreIndex, torch::kLong);
    int64_t* xp = x.data_ptr<int64_t>();
    int64_t* yp = y.data_ptr<int64_t>();
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t start = (w0 + r) * block_size;
      const int64_t len = std::min(block_size, targets - start);  // targets in this window
      for (int64_t t = 0; t < len; ++t) {
        xp[r * block_size + t] = data[start + t];
        yp[r * block_size + t] = data[start + t + 1];
      }
    }
    batches.push_back({x, y});
  }
  return batches;
}

}  // namespace localist::data
