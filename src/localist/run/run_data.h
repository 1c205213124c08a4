#pragma once
// The token files of one run: corpus splits -> tokenizer (trained on train, or restored from
// a checkpoint) -> cached, memory-mapped token files under CACHE_DIR/{train,valid,test}.bin.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "localist/core/config.h"
#include "localist/data/token_file.h"
#include "localist/data/tokenizer.h"

namespace localist {

struct RunData {
  std::unique_ptr<data::Tokenizer> tokenizer;
  data::TokenFile train, valid, test;
  std::string description;  // where each split came from
};

// tokenizer_json: reuse this tokenizer (resume, eval) instead of training one.
RunData prepare_run_data(const DataConfig& cfg, const std::string& cache_dir,
                         const nlohmann::json* tokenizer_json = nullptr);

}  // namespace localist
