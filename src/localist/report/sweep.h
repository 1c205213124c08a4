#pragma once
// A locality sweep (issue 4): the dial lambda stepped over a list of values, one row of
// measurements per value (docs/design.md §1.3: entropy beside its max-entropy reference, pointer and
// block fidelity, perplexity, accuracy, tokens scored, and the sparsity of R_W).
//   inference  one checkpoint; lambda changed at evaluation only (as `localist eval --lambda`)
//   retrain    one model trained per lambda (same data, seed, budget) in DIR/runs/lambda_X and
//              evaluated at its own lambda
// Resumable: each finished row is appended to DIR/rows.jsonl; a rerun skips the lambdas done
// there and resumes an unfinished training run. DIR/sweep_config.json holds the settings; a
// rerun with other settings (the lambda list aside) is refused, naming the difference.
// DIR/sweep.{md,csv,json} are written at the end.
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "localist/core/config.h"
#include "localist/report/sweep_table.h"

namespace localist {

struct SweepConfig {
  std::string protocol = "inference";  // inference | retrain
  std::vector<double> lambdas;         // in the order the rows are made
  std::string split = "test";          // valid | test
  int64_t max_tokens = 0;              // score only the first N predictions (0 = all)
  int64_t eval_batch_size = 8;
  std::string device = "auto";
  int64_t threads = 0;
  // inference: the checkpoint and the localist settings to evaluate it with (lambda replaced)
  std::string checkpoint;
  bool other_data = false;  // inference: evaluate on `data` instead of the checkpoint's own
                            // (an imported model has none); its tokenizer stays the checkpoint's
  // retrain: what `localist train` takes; localist.lambda is replaced per run
  ModelConfig model;
  DataConfig data;
  TrainConfig train;
  LocalistConfig localist;
};

// "1.0:0.0:0.1" (start:stop:step, inclusive, either direction) or "0,0.5,1"; each in [0, 1].
std::vector<double> parse_lambdas(const std::string& spec);
// The same for any values in [lo, hi] (hi may be infinite, which is then excluded); errors
// name `name` ("kappas = '0,-1': -1 is outside [0, inf)").
std::vector<double> parse_value_list(const std::string& spec, const std::string& name, double lo, double hi);

// What must match for a rerun to reuse DIR's rows (everything but the lambda list and the
// device/thread/logging choices).
nlohmann::json sweep_settings(const SweepConfig& cfg);

struct SweepOutcome {
  std::vector<SweepRow> rows;  // one per requested lambda, in order
  std::string header;          // the Markdown header line
  nlohmann::json settings;     // as in sweep_config.json
  int64_t computed = 0;        // rows made by this call (the rest came from rows.jsonl)
};

// out: progress lines (nullptr = quiet).
SweepOutcome run_sweep(const SweepConfig& cfg, const std::string& dir,
                       std::ostream* out = &std::cout);

}  // namespace localist
