#include "localist/data/batcher.h"

#include <algorithm>
#include <random>

#include "localist/core/errors.h"
#include "localist/data/portable_random.h"

namespace localist::data {
namespace {

void check_shape(int64_t batch_size, int64_t context_length) {
  if (batch_size <= 0)
    throw ConfigError(setting("batch_size") + " = " + std::to_string(batch_size) + " is impossible; expected > 0");
  if (context_length <= 0)
    throw ConfigError("context_length = " + std::to_string(context_length) + " is impossible; expected > 0");
}

}  // namespace

Batch random_batch(const TokenFile& tokens, int64_t batch_size, int64_t context_length, uint64_t seed,
                   int64_t step, int64_t micro) {
  check_shape(batch_size, context_length);
  const int64_t n = tokens.size();
  if (n < context_length + 1)
    throw DataError(tokens.path() + ": " + std::to_string(n) +
                    " tokens, fewer than context_length + 1 = " + std::to_string(context_length + 1) +
                    " needed for one training window; use a smaller " + setting("context_length") + " or more data");
  uint64_t mixed = splitmix64(seed);
  mixed = splitmix64(mixed ^ static_cast<uint64_t>(step));
  mixed = splitmix64(mixed ^ static_cast<uint64_t>(micro));
  std::mt19937_64 rng(mixed);

  auto x = torch::empty({batch_size, context_length}, torch::kLong);
  auto y = torch::empty({batch_size, context_length}, torch::kLong);
  int64_t* xp = x.data_ptr<int64_t>();
  int64_t* yp = y.data_ptr<int64_t>();
  const int32_t* data = tokens.data();
  const auto n_starts = static_cast<uint64_t>(n - context_length);  // starts 0 .. n - T - 1
  for (int64_t b = 0; b < batch_size; ++b) {
    const auto start = static_cast<int64_t>(uniform_below(rng, n_starts));
    const int32_t* src = data + start;
    int64_t* xr = xp + b * context_length;
    int64_t* yr = yp + b * context_length;
    for (int64_t t = 0; t < context_length; ++t) {
      xr[t] = src[t];
      yr[t] = src[t + 1];
    }
  }
  return {x, y};
}

std::vector<Batch> sequential_batches(const TokenFile& tokens, int64_t batch_size,
                                      int64_t context_length, int64_t max_tokens) {
  check_shape(batch_size, context_length);
  if (max_tokens < 0)
    throw ConfigError(setting("max_tokens") + " = " + std::to_string(max_tokens) + " is impossible; expected >= 0");
  const int64_t n = tokens.size();
  if (n < 2)
    throw DataError(tokens.path() + ": " + std::to_string(n) +
                    " tokens, at least 2 are needed to predict one; the evaluation split is too "
                    "small");
  int64_t targets = n - 1;  // tokens 1..n-1
  if (max_tokens > 0) targets = std::min(targets, max_tokens);
  const int64_t windows = (targets + context_length - 1) / context_length;
  const int32_t* data = tokens.data();

  std::vector<Batch> batches;
  for (int64_t w0 = 0; w0 < windows; w0 += batch_size) {
    const int64_t rows = std::min(batch_size, windows - w0);
    auto x = torch::zeros({rows, context_length}, torch::kLong);
    auto y = torch::full({rows, context_length}, kIgnoreIndex, torch::kLong);
    int64_t* xp = x.data_ptr<int64_t>();
    int64_t* yp = y.data_ptr<int64_t>();
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t start = (w0 + r) * context_length;
      const int64_t len = std::min(context_length, targets - start);  // targets in this window
      for (int64_t t = 0; t < len; ++t) {
        xp[r * context_length + t] = data[start + t];
        yp[r * context_length + t] = data[start + t + 1];
      }
    }
    batches.push_back({x, y});
  }
  return batches;
}

}  // namespace localist::data
