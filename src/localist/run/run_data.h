#pragma once
// The token files of one run: corpus splits -> tokenizer (trained on train, or restored from
// a checkpoint) -> cached, memory-mapped token files under CACHE_DIR/{train,valid,test}.bin.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "localist/core/config.h"
#include "localist/data/token_file.h"
#include "localist/data/tokenizer.h"

namespace localist {

// One stretch of data that arrives over time (DataConfig::phases).
struct Phase {
  std::string file;
  int64_t steps = 0;
  data::TokenFile tokens;
};

struct RunData {
  std::unique_ptr<data::Tokenizer> tokenizer;
  data::TokenFile train, valid, test;  // with phases, train is every phase's text in turn
  std::string description;  // where each split came from
  std::vector<Phase> phases;
};

// The phase training is in at `step` (the last one once all are done); -1 without phases.
int64_t phase_at(const std::vector<Phase>& phases, int64_t step);

// tokenizer_json: reuse this tokenizer (resume, eval) instead of training one.
RunData prepare_run_data(const DataConfig& cfg, const std::string& cache_dir,
                         const nlohmann::json* tokenizer_json = nullptr);

}  // namespace localist
