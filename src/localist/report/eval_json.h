#pragma once
// What `localist eval --json` prints of a checkpoint's evaluation (and localist.Model.metrics
// returns in Python): perplexity, accuracy, the attention measurements per model and per head,
// the block-mass matrix and the weight-group pattern. The caller adds where the numbers come
// from (split, data, checkpoint, step).
#include <nlohmann/json.hpp>

#include "localist/core/config.h"
#include "localist/metrics/checkpoint_eval.h"

namespace localist {

// flash: the evaluation ran flash-style (no block-mass matrix: null); causal: false adds the
// leaking protocol's warning.
nlohmann::json eval_json(const CheckpointEval& ev, const LocalistConfig& lc, bool causal, bool flash);

// The warning a leaking (non-causal) evaluation carries, in JSON and in text.
extern const char* const kLeakWarning;

}  // namespace localist
