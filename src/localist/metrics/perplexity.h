#pragma once
// Perplexity and top-1 accuracy over a full held-out split, causal (unless the model was built or
// switched bidirectional, which leaks the next token: ModelConfig::causal): consecutive
// non-overlapping windows of context_length tokens, every token after the first predicted once
// from the tokens before it in its window.
#include <torch/torch.h>

#include "localist/data/token_file.h"
#include "localist/metrics/attention_metrics.h"
#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"

namespace localist {

struct EvalResult {
  double nll = 0;         // mean next-token cross-entropy, nats
  double perplexity = 0;  // exp(nll)
  double accuracy = 0;    // top-1 next token
  int64_t tokens = 0;     // predictions scored
};

// Per-token results, indexed by the predicted token's position t (1..n-1; entry 0 unused).
struct TokenScores {
  std::vector<float> nll;        // nats
  std::vector<uint8_t> correct;  // top-1 prediction was right
};

// The localist side of an evaluation: blocks (for the dial and the metrics), the dial applied
// to every layer's logits, and where to accumulate attention metrics (materialises attention).
struct LocalistEval {
  const BlockMap* blocks = nullptr;  // null: ordinary attention, no attention metrics
  Dial dial;
  AttentionMetricsAccumulator* attention = nullptr;
  // flash-style localist attention (model/flash_attention.h) for the dial and the metrics:
  // nothing T x T, for long contexts; the block-mass matrix is then not measured
  bool flash = false;
};

// max_tokens > 0 scores only the first max_tokens predictions (periodic evals in training).
// per_token, when given, receives each scored position's NLL and correctness.
EvalResult evaluate(Gpt& model, const data::TokenFile& tokens, int64_t batch_size,
                    const torch::Device& device, int64_t max_tokens = 0,
                    TokenScores* per_token = nullptr, const LocalistEval& localist = {});

}  // namespace localist
