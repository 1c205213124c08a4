#pragma once
// Model configs for tests: tiny, so the suite stays fast on 2 cores.
#include "localist/core/config.h"

namespace localist::testing {

inline ModelConfig tiny_model(int64_t vocab, int64_t n_layer, int64_t n_head, int64_t n_embd,
                              int64_t context_length) {
  ModelConfig c;
  c.vocab_size = vocab;
  c.n_layer = n_layer;
  c.n_head = n_head;
  c.n_embd = n_embd;
  c.context_length = context_length;
  return c;
}

}  // namespace localist::testing
