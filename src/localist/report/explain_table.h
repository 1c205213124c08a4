#pragma once
// The audit table of `localist explain` (text mode), also shown by `localist demo`: per token,
// the block and target, where attention went (top block, target mass, top anchor, anchor mass,
// entropy) and the prediction; the mean over all heads first, then one row per head shown.
#include <cstdint>
#include <utility>
#include <vector>

#include "localist/data/tokenizer.h"
#include "localist/metrics/text_explain.h"
#include "localist/blocks/block_map.h"

namespace localist {

struct ExplainTable {
  const TextExplanation& explained;
  const BlockMap& blocks;
  const data::Tokenizer& tokenizer;
  const std::vector<int32_t>& ids;
  std::vector<std::pair<int64_t, int64_t>> shown;  // {layer, head} pairs
  int64_t n_layer = 0, n_head = 0, context = 0;
  bool summary = false;  // only the mean row per token
};

void print_explain_table(const ExplainTable& t);

}  // namespace localist
