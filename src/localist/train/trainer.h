#pragma once
// The training loop (set-up in train_setup.h, one step in step.h, progress in train_log.h):
// AdamW, warmup + cosine learning rate, gradient clipping and accumulation,
// periodic evaluation, a progress line (loss, tokens/s, ETA, MFU on GPU), a JSON-lines metrics
// log, checkpoints and resume. Deterministic under a seed: batches and dropout come from
// generators re-seeded from (seed, step, micro-step), so a resumed run repeats what an
// uninterrupted one would have done.
#include <iostream>
#include <string>
#include <vector>

#include "localist/core/config.h"
#include "localist/metrics/perplexity.h"
#include "localist/train/growth_hook.h"

namespace localist {

struct TrainRequest {
  ModelConfig model;  // vocab_size is filled in from the tokenizer
  DataConfig data;
  TrainConfig train;
  LocalistConfig localist;  // blocks and dial; lambda > 0 biases attention during training
  RecruitConfig recruit;    // block recruitment (recruit/recruiter.h), off by default
  // what grows the model when recruit.enabled: recruiter_factory() (recruit/recruiter.h) from the commands
  // that offer --recruit (the trainer does not know what grows it; train/growth_hook.h)
  GrowthHookFactory growth;
  std::string run_dir;   // checkpoint/, metrics.jsonl, tokens/
  bool resume = false;   // continue the run in run_dir (its configs win, except max_steps)
  // start from this checkpoint's weights, shape and tokenizer (a fresh optimizer, the data and
  // training settings of this request): a specialist fine-tuned from a base model
  std::string init_from;
  int64_t max_steps_override = 0;  // with resume: extend or shorten the run
  int64_t stop_at = 0;   // stop (with a checkpoint) after this step, as if interrupted; 0 = no
  // Data-parallel over c10d (train/distributed.h), one process per device from the torchrun
  // environment; train.batch_size is per rank (the global batch is world_size times it).
  bool distributed = false;
  std::ostream* out = &std::cout;  // progress lines; nullptr = quiet
  // Fault injection for tests: the gradients of these steps (0-based) are made NaN while the
  // reported loss stays finite, the case only a gradient check catches.
  std::vector<int64_t> poison_gradient_steps;
};

// train.on_nonfinite = "skip" stops after this many skipped steps in a row.
constexpr int64_t kMaxSkippedSteps = 20;

struct TrainSummary {
  int64_t steps = 0;            // optimizer steps completed in total
  int64_t params = 0;
  int64_t trainable = 0;        // parameters that train (--train-only), params otherwise
  std::vector<double> losses;   // training loss of each step run in this call
  EvalResult valid;             // the last evaluation
  double seconds = 0;
  double tokens_per_second = 0;
  std::string device;
  int64_t recruited = 0;        // blocks recruited in total (recruit.jsonl has each decision)
  int64_t skipped = 0;          // steps whose update was dropped (NaN/Inf, on_nonfinite = skip)
  int world_size = 1;           // processes that trained together (--distributed)
};

TrainSummary train(const TrainRequest& req);

}  // namespace localist
