#pragma once
// What the trainer prints and logs as it goes: the header, one progress line per log interval,
// one line per evaluation, and their JSON-lines records (metrics.jsonl).
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "localist/core/config.h"
#include "localist/metrics/perplexity.h"

namespace localist {

nlohmann::json eval_record(int64_t step, const char* split, const EvalResult& r);
std::string eval_line(int64_t step, const EvalResult& r, const std::string& checkpoint_dir);

// One log interval's figures; mfu < 0: unknown peak; r_att < 0: no attention penalty.
struct IntervalFigures {
  int64_t done = 0, max_steps = 0;
  int64_t last_step = 0;  // the last step whose update was applied (the record's step)
  double loss = 0, lr = 0, lambda = 0, ms_per_step = 0, tokens_per_s = 0, eta_s = 0, elapsed_s = 0;
  double mfu = -1, r_att = -1;
};
std::string progress_line(const IntervalFigures& f);
nlohmann::json progress_record(const IntervalFigures& f);

struct RunHeader {
  const ModelConfig& model;
  const TrainConfig& train;
  int64_t params, train_tokens, valid_tokens, start_step;
  std::string tokenizer_kind, device, data_description, backend;  // backend: "" when alone
  int world = 1;
};
void print_header(std::ostream& out, const RunHeader& h);

}  // namespace localist
