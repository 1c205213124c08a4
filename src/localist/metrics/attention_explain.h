#pragma once
// The audit view of one sequence (`localist explain`): for every query t and every layer/head,
// where its attention went, in the terms of docs/design.md §1.1-1.3:
//   top block      argmax_i sum_{j in X_i(t)} a_tj, with that mass
//   target mass    sum_{j in X_b(t)(t)} a_tj: the query's block fidelity (NaN: empty target set)
//   top anchor     argmax over visible anchors j <= t of a_tj (any block), with its block and mass
//   anchor mass    sum_{j in A_b(t)(t)} a_tj: the query's pointer fidelity (NaN: no target anchor)
//   entropy        -sum_j a_tj log2 a_tj, bits
// Besides every head, a summary over all layers and heads: the masses and the top block/anchor
// of the head-averaged distribution mean_{l,h} a_t (masses are linear, so they equal the mean of
// the per-head masses) and the mean of the per-head entropies (eval's H-bar, not the entropy of
// the average). Ties go to the lowest block id / the earliest position.
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "localist/blocks/block_map.h"

namespace localist {

struct HeadExplanation {
  int64_t top_block = -1;        // block id (in the layout's numbering)
  double top_block_mass = 0;
  double target_mass = 0;        // NaN when X_b(t)(t) is empty or the query has no target
  int64_t top_anchor = -1;       // position in the sequence; -1 = no anchor visible
  int64_t top_anchor_block = -1;
  double top_anchor_mass = 0;
  double target_anchor_mass = 0; // NaN when A_b(t)(t) is empty
  double entropy_bits = 0;
};

struct TokenExplanation {
  int64_t position = 0;  // t, within the sequence
  int64_t block = 0;     // beta(t)
  int64_t target = 0;    // b(t); -1 = the rules name no target
  HeadExplanation mean;  // over all layers and heads (see above)
  std::vector<std::vector<HeadExplanation>> heads;  // [layer][head]
};

// probs: one (1, H, T, T) attention tensor per layer (rows sum to 1 over j <= t); layout: the
// same sequence's (1, T) block layout. Returns one explanation per query t = 0..T-1.
std::vector<TokenExplanation> explain_attention(const std::vector<torch::Tensor>& probs,
                                                const BlockLayout& layout);

}  // namespace localist
