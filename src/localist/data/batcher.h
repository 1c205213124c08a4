#pragma once
// Batches of next-token prediction windows, cut from a token file.
// x[b, t] = tokens[s_b + t], y[b, t] = tokens[s_b + t + 1]: y is x shifted by one.
// Padding: where a window runs past the data, x holds 0 and y holds -1. The loss must use
// ignore_index = -1, and per-position metrics should mask on y != -1.
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "localist/data/token_file.h"

namespace localist::data {

struct Batch {
  torch::Tensor x, y;  // int64 (B, T) on CPU
};

constexpr int64_t kIgnoreIndex = -1;  // the target value of padded positions

// B random contiguous windows of T tokens (start positions uniform over all n - T windows).
// Deterministic in (seed, step, micro) alone, with its own std::mt19937_64 seeded from a
// SplitMix64 mix of the three, so a resumed run draws exactly the batches it would have drawn.
// DataError if tokens.size() < context_length + 1.
Batch random_batch(const TokenFile& tokens, int64_t batch_size, int64_t context_length, uint64_t seed,
                   int64_t step, int64_t micro);

// The full sequential pass for evaluation: consecutive non-overlapping windows, window w
// covering x = tokens[w T, (w + 1) T), so each of tokens 1..n-1 is a target exactly once (each
// window starts with no earlier context, as in nanoGPT-style evaluation). The last window is
// padded (x = 0, y = -1). max_tokens > 0 keeps only the first max_tokens targets (the rest is
// padding too). Up to batch_size windows per batch; the last batch may have fewer rows.
// DataError if tokens.size() < 2.
std::vector<Batch> sequential_batches(const TokenFile& tokens, int64_t batch_size,
                                      int64_t context_length, int64_t max_tokens = 0);

}  // namespace localist::data
