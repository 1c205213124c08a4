#pragma once
// A checkpoint evaluated with a LocalistConfig on a held-out split: perplexity, top-1 accuracy,
// the attention measurements (docs/design.md §1.3) and the weight-group norms; causal unless the
// model was switched to its leaking, bidirectional mode (GptImpl::set_causal). The one
// implementation behind `localist eval` and `localist sweep`.
#include <string>

#include <torch/torch.h>

#include "localist/core/config.h"
#include "localist/metrics/attention_metrics.h"
#include "localist/metrics/perplexity.h"
#include "localist/run/checkpoint.h"
#include "localist/run/run_data.h"

namespace localist {

// The token files of `data` for the checkpoint at `checkpoint` (a run or checkpoint
// directory), tokenized with the checkpoint's tokenizer and cached in the run's tokens/.
RunData checkpoint_run_data(const std::string& checkpoint, const LoadedModel& lm,
                            const DataConfig& data);

// The data a checkpoint is evaluated on: its own (`other` empty), or `other` (a corpus file or
// directory) read with its tokenizer, as `eval --data`, `threshold --data` and `sweep --data`
// do (an imported model has no data of its own).
DataConfig data_to_evaluate(const DataConfig& stored, const std::string& other);

// "valid" or "test" (anything else: ConfigError naming the value).
const data::TokenFile& split_tokens(const RunData& run_data, const std::string& split);

struct CheckpointEval {
  EvalResult lm;                       // perplexity, accuracy, tokens scored
  AttentionMetrics attention;          // entropy, fidelities, per head, block mass
  torch::Tensor weight_group_norms;    // (L, H, 2, K): ||W_Q|| and ||W_K|| per unit group
  int64_t cross_groups = 0, cross_zero_groups = 0;  // --cross-groups runs: penalised groups, zero
  double weight_group_sparsity() const;  // fraction of those groups exactly zero
};

// max_tokens > 0 scores only the first max_tokens predictions; flash: attention and its
// metrics by flash-style localist attention (O(T) memory; no block-mass matrix).
CheckpointEval evaluate_checkpoint(LoadedModel& lm, const data::TokenFile& tokens,
                                   const LocalistConfig& lc, int64_t batch_size,
                                   int64_t max_tokens, const torch::Device& device, bool flash = false);

}  // namespace localist
