#pragma once
// Semantic blocks (docs/design.md §1.1): a block id beta(j) for every position, the target block
// b(t) each query should read, and the anchors: the positions that point to their block.
//   window:W  beta(j) = floor(j / W), positions within the sequence (the fixed-window baseline)
//   segment   a new block starts after each boundary token (e.g. <eos>); ids count segments
//   vocab     beta(j) = class of token j from a token -> block table; unlisted tokens -> 0
// Default target: the query's own block. Default anchors: the first position of each
// contiguous run of a block. A rules file (blocks/rules.h) can name the vocab classes, map a
// query's block to another target, list anchor tokens and scale the dial per target block.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <torch/torch.h>

#include "localist/core/config.h"
#include "localist/data/tokenizer.h"

namespace localist {

struct Rules;

struct BlockLayout {
  torch::Tensor block;         // (B, T) int64: beta(j)
  torch::Tensor target;        // (B, T) int64: b(t); -1 = no target (the rule names none)
  torch::Tensor is_anchor;     // (B, T) bool
  torch::Tensor lambda_scale;  // (B, T) float: the rules' dial scale of b(t), or undefined (1)
  int64_t n_blocks = 0;        // 1 + the largest block or target id (0: not known)
  int64_t shared_block = -1;   // a block every query may read besides its target (-1: none)
};

// (B, T, T) bool: key j is visible to query t (j <= t; any j when not causal) and in its
// target block X_b(t)(t) or the shared block (rules "shared"; not for a query with no target).
torch::Tensor target_keys(const BlockLayout& layout, bool causal = true);

class BlockMap {
 public:
  // "window:W", "segment" or "vocab"; boundary / token classes come from set_* below.
  static BlockMap parse(const std::string& spec);  // window:W; ConfigError naming the spec
  // window:W, or segment with the tokenizer's newline token(s) as boundaries.
  static BlockMap from_spec(const std::string& spec, const data::Tokenizer& tokenizer);
  // What a config asks for: its block spec with its rules (vocab classes, targets, listed
  // anchors, per-block dial scales) resolved against the tokenizer. ConfigError / RulesError.
  static BlockMap from_config(const LocalistConfig& config, const data::Tokenizer& tokenizer);
  static BlockMap window(int64_t width);
  static BlockMap segment(std::vector<int64_t> boundary_tokens);
  static BlockMap vocab(std::unordered_map<int64_t, int64_t> token_block, int64_t n_blocks);

  // idx: (B, T) int64 token ids -> the layout of every sequence.
  // The ids are read on the host: give a CPU idx (and the device the layout should live on) to
  // spare a GPU step the copy back and its synchronisation.
  BlockLayout layout(const torch::Tensor& idx) const { return layout(idx, idx.device()); }
  BlockLayout layout(const torch::Tensor& idx, const torch::Device& device) const;
  std::string describe() const;
  // Blocks in a context of T positions: ceil(T / W) for window:W; `unbounded` for the kinds
  // whose count depends on the text (segment, vocab).
  int64_t blocks_per_context(int64_t T, int64_t unbounded) const;
  std::string kind() const { return kind_; }
  // A block's name for reports: the rules' name for vocab classes, else its number.
  std::string block_name(int64_t id) const;

 private:
  std::string kind_;
  int64_t width_ = 0;
  std::vector<int64_t> boundaries_;
  std::unordered_map<int64_t, int64_t> token_block_;
  int64_t n_blocks_ = 1;
  std::shared_ptr<const Rules> rules_;  // targets, listed anchors, dial scales; null = defaults
  bool listed_anchors_ = false;         // anchors are the rules' tokens, not first-of-run
};

}  // namespace localist
