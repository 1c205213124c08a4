#pragma once
// A whole text through a checkpoint, for the audit view (`localist explain`, `localist chat`):
// consecutive windows of context_length tokens, each read causally from its own start (as eval),
// with the dial as configured; per token, where every head's attention went
// (metrics/attention_explain) and what the model predicted next. Then the text's block and
// pointer fidelity and mean entropy over a chosen set of heads.
#include <cstdint>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "localist/metrics/attention_explain.h"
#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"

namespace localist {

// One token's prediction of the next one: the model's top-1, and the actual next token.
struct Prediction {
  int32_t predicted = 0;
  double predicted_p = 0;
  int32_t next = -1;  // -1: the text ends here
  double next_p = 0;
};

// One query of the text, with positions made global (window offset added).
struct ExplainedToken {
  int64_t window = 0, offset = 0;  // window index and its first position in the text
  int32_t token = 0;
  TokenExplanation e;
  Prediction p;
};

struct TextExplanation {
  std::vector<ExplainedToken> rows;
  int64_t windows = 0;
  double max_entropy_bits_sum = 0;  // sum over queries of log2(visible keys)
};

TextExplanation explain_text(Gpt& model, const BlockMap& blocks, const Dial& dial,
                             const std::vector<int32_t>& ids, const torch::Device& device);

struct ExplainSummary {
  double block_fidelity = 0, pointer_fidelity = 0;  // NaN when no query has a target (anchor)
  double entropy_bits = 0, max_entropy_bits = 0;
  int64_t block_n = 0, pointer_n = 0, measured = 0;  // (query, head) pairs counted
};

// Over the heads `shown` ({layer, head} pairs).
ExplainSummary summarize(const TextExplanation& x, const std::vector<std::pair<int64_t, int64_t>>& shown);

// Every {layer, head} pair of a model, for summarize().
std::vector<std::pair<int64_t, int64_t>> every_head(int64_t n_layer, int64_t n_head);

// Rows [begin, end) of x with their share of the entropy bound (e.g. the queries that produced
// a generation's tokens).
TextExplanation rows_between(const TextExplanation& x, size_t begin, size_t end);

}  // namespace localist
