#pragma once
// Anchors chosen information-theoretically (docs/design.md §1.1): the token types that say most about
// the rest of their block. For every position j of the training data (read in context windows,
// as the model reads it) the "followers" of token v = x_j are the tokens after j in the same
// block of the window (at most `horizon` of them). A type's score is the pointwise mutual
// information it carries about its followers, in nats:
//   score(v) = KL( P(w | v) || P(w) ),
// P(w) the followers' marginal, P(w | v) shrunk towards it by `prior` pseudo-counts (so a type
// seen a handful of times cannot look informative by chance). Types seen fewer than `min_count`
// times are not candidates. The N best are the anchors; I(V; W) = sum_v p(v) score(v) is the
// mutual information between a token and its block's continuation.
#include <cstdint>
#include <vector>

#include "localist/data/token_file.h"
#include "localist/blocks/block_map.h"

namespace localist {

struct AnchorScore {
  int64_t token = 0;
  double score_nats = 0;  // KL(P(w | v) || P(w))
  int64_t count = 0;      // occurrences of v with at least one follower
};

struct InfoAnchorOptions {
  int64_t n = 16;           // anchors to choose
  int64_t horizon = 32;     // followers per position
  int64_t min_count = 5;    // occurrences to be a candidate
  double prior = 10;        // pseudo-counts of the marginal in P(w | v)
  int64_t max_tokens = 2000000;  // training tokens to read (the first ones)
  // false: P(w) is the followers' marginal over all blocks (what a type says about its block
  // and within it); true: the marginal of the followers in v's own block, so the score is what
  // v says beyond the block (recruit/: anchors within a token class, whose every member
  // already tells the block)
  bool within_block = false;
};

// The n best types, best first.
std::vector<AnchorScore> info_anchors(const data::TokenFile& train, const BlockMap& blocks,
                                      int64_t context_length, const InfoAnchorOptions& opt);

}  // namespace localist
