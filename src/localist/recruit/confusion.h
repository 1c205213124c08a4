#pragma once
// Confused queries (docs/design.md §1.5), the signal that a block is missing. Query t is confused when
// its attention entropy H_t (nats, mean over layers and heads) exceeds ln|A_i*(t)| + epsilon:
// i* is the block receiving most of t's attention and A_i*(t) its anchors visible to t, so a
// query that reads one anchor of one block sharply is never confused, and one spread over
// several blocks or many positions is. Counted on training batches, by the query's own block
// beta(t) (the block a candidate would split) and by the query's token type.
#include <cstdint>
#include <map>
#include <vector>

#include "localist/data/token_file.h"
#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"

namespace localist {

struct Confusion {
  int64_t queries = 0;                       // queries read
  int64_t confused = 0;
  double mean_entropy_nats = 0;              // mean H_t over the queries read
  std::vector<int64_t> confused_in_block;    // per block id (by the query's own block)
  std::map<int64_t, int64_t> confused_type;  // query token id -> confused occurrences
  std::map<int64_t, int64_t> type_block;     // query token id -> its block (vocab blocks)
};

// n_blocks: block ids are 0..n_blocks-1 (vocab blocks). Batches are random_batch(train, B, T,
// seed, 0, b) for b < n_batches; the model is run in eval mode under `dial`, then restored.
Confusion find_confused(Gpt& model, const BlockMap& blocks, int64_t n_blocks, const Dial& dial,
                        const data::TokenFile& train, int64_t batch_size, int64_t n_batches,
                        uint64_t seed, double epsilon);

}  // namespace localist
