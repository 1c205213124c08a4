#pragma once
// The localist measurements of attention (docs/design.md §1.3), accumulated over batches:
//   entropy      -sum_j a_tj log2 a_tj, bits, mean over layers, heads and queries; beside it
//                the maximum-entropy reference mean_t log2(t + 1) (t + 1 keys visible, t from 0)
//   pointer      sum of a_tj over the anchors of the target block, j <= t
//                (queries whose target block has no anchor yet are excluded and counted)
//   block        sum of a_tj over the target block X_b(t)(t) (empty sets excluded and counted)
//   block mass   (query block x key block) mean attention mass, per layer and head
#include <vector>

#include <torch/torch.h>

#include "localist/blocks/block_map.h"
#include "localist/model/flash_attention.h"

namespace localist {

struct AttentionMetrics {
  double entropy_bits = 0;
  double max_entropy_bits = 0;
  double pointer_fidelity = 0;
  double block_fidelity = 0;
  int64_t queries = 0;           // per head: queries measured
  int64_t pointer_excluded = 0;  // per head: queries without a target anchor
  int64_t block_excluded = 0;    // per head: queries with an empty target block
  torch::Tensor entropy_per_head;   // (L, H) bits
  torch::Tensor pointer_per_head;   // (L, H)
  torch::Tensor block_per_head;     // (L, H)
  torch::Tensor block_mass;         // (L, H, K, K): row = query block, column = key block
};

class AttentionMetricsAccumulator {
 public:
  // n_blocks: size K of the block-mass matrix; block ids >= K are left out of the matrix only.
  // causal = false measures a leaking (bidirectional) model: every key is visible, the target
  // sets include later keys and the max-entropy reference is log2 T.
  explicit AttentionMetricsAccumulator(int64_t n_blocks, bool causal = true)
      : k_(n_blocks), causal_(causal) {}
  // probs: one (B, H, T, T) tensor per layer; layout for the same (B, T) tokens;
  // queries: optional (B, T) bool, the positions to measure (padding excluded).
  void add(const std::vector<torch::Tensor>& probs, const BlockLayout& layout,
           const torch::Tensor& queries = {});
  // The same measurements from flash attention's per-query rows (one per layer; `bias` gives
  // which queries have a target block and a target anchor). No (B, H, T, T) anywhere, so the
  // block-mass matrix is not measured (it stays zero). ConfigError on missing rows or a bias
  // of the other causal mode.
  void add_flash(const std::vector<FlashAttention>& rows, const BlockBias& bias,
                 const torch::Tensor& queries = {});
  AttentionMetrics result() const;

 private:
  int64_t k_;
  bool causal_;
  torch::Tensor entropy_, pointer_, block_, mass_, mass_count_;  // sums, float64 on CPU
  double max_entropy_sum_ = 0;
  int64_t queries_ = 0, pointer_n_ = 0, block_n_ = 0;
  void start(int64_t L, int64_t H);
  // counts of queries measured, with a target and with an anchor; the max-entropy reference
  void count(const torch::Tensor& measured, const torch::Tensor& has_target, const torch::Tensor& has_anchor);
};

}  // namespace localist
