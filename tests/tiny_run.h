#pragma once
// A training run small enough for the test suite: 1 layer, d=32, 150 steps on 5,000 synthetic
// tokens (under a second on 2 cores), quiet, on the CPU, with the dial at lambda = 1 and its
// logit bias off, so each penalty can be tested on its own.
#include <string>

#include "localist/metrics/checkpoint_eval.h"
#include "localist/train/trainer.h"

namespace localist::testing {

inline TrainRequest tiny_localist_run(const std::string& dir) {
  TrainRequest r;
  r.model.n_layer = 1;
  r.model.n_head = 2;
  r.model.n_embd = 32;
  r.model.context_length = 32;
  r.data.synth_tokens = 5000;
  r.train.batch_size = 8;
  r.train.max_steps = 150;
  r.train.eval_interval = 150;
  r.train.eval_tokens = 300;
  r.train.device = "cpu";
  r.localist.blocks = "segment";
  r.localist.lambda = 1.0;
  r.localist.logit_bias = false;
  r.run_dir = dir;
  r.out = nullptr;
  return r;
}

// The run in `dir` measured on its first 1,000 validation predictions with the localist
// settings `lc` (the run's own when null), through the library's one checkpoint evaluation.
inline AttentionMetrics tiny_run_attention(const std::string& dir, const LocalistConfig* lc = nullptr) {
  auto lm = load_model(dir, torch::kCPU);
  auto rd = checkpoint_run_data(dir, lm, lm.meta.data);
  return evaluate_checkpoint(lm, rd.valid, lc ? *lc : lm.meta.localist, 8, 1000, torch::kCPU).attention;
}

}  // namespace localist::testing
