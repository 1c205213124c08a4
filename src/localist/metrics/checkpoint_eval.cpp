#include "localist/metrics/checkpoint_eval.h"

#include <algorithm>
#include <filesystem>

#include "localist/core/errors.h"
#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/loss/cross_group_prox.h"
#include "localist/loss/weight_group_prox.h"

namespace localist {

RunData checkpoint_run_data(const std::string& checkpoint, const LoadedModel& lm,
                            const DataConfig& data) {
  const auto cache =
      (std::filesystem::path(find_checkpoint_dir(checkpoint)).parent_path() / "tokens").string();
  return prepare_run_data(data, cache, &lm.meta.tokenizer);
}

DataConfig data_to_evaluate(const DataConfig& stored, const std::string& other) {
  if (other.empty()) return stored;
  DataConfig d;
  d.source = other;
  d.tokenizer = stored.tokenizer;  // the tokenizer itself comes from the checkpoint
  d.tokenizer_vocab = stored.tokenizer_vocab;
  d.tokenizer_files = stored.tokenizer_files;
  return d;
}

const data::TokenFile& split_tokens(const RunData& run_data, const std::string& split) {
  if (split == "test") return run_data.test;
  if (split == "valid") return run_data.valid;
  throw ConfigError("split = '" + split + "': expected valid or test");
}

double CheckpointEval::weight_group_sparsity() const {
  if (!weight_group_norms.defined() || weight_group_norms.numel() == 0) return 0;
  return (weight_group_norms == 0).sum().item<double>() / weight_group_norms.numel();
}

CheckpointEval evaluate_checkpoint(LoadedModel& lm, const data::TokenFile& tokens,
                                   const LocalistConfig& lc, int64_t batch_size,
                                   int64_t max_tokens, const torch::Device& device, bool flash) {
  const auto blocks = BlockMap::from_config(lc, *lm.tokenizer);
  // block-mass matrix size: every window of the context, or the first 16 segments
  AttentionMetricsAccumulator attention(blocks.blocks_per_context(lm.meta.model.context_length, 16),
                                        lm.model->cfg.causal);
  CheckpointEval r;
  r.lm = evaluate(lm.model, tokens, batch_size, device, max_tokens, nullptr,
                  {&blocks, Dial::from_config(lc), &attention, flash});
  r.attention = attention.result();
  r.weight_group_norms =
      weight_group_norms(lm.model, std::min(lc.unit_groups, lm.meta.model.n_embd));
  if (lc.cross_groups && lm.meta.model.block_units > 0) {
    const auto n = cross_group_norms(lm.model, lm.meta.model.block_units);
    r.cross_groups = n.groups(), r.cross_zero_groups = n.zero_groups();
  }
  return r;
}

}  // namespace localist
