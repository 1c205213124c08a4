#pragma once
// `localist import-hf DIR --out RUN`: a Hugging Face GPT-2 checkpoint directory
// (config.json, model.safetensors or its shards, the tokenizer as vocab.json + merges.txt or
// tokenizer.json) becomes a run directory every command takes (eval, explain, sweep, generate,
// threshold, train --init-from). Only safetensors weights are read: a directory holding only
// pytorch_model.bin (a pickle, which can run code when loaded) is refused. The config is checked
// against the weights' headers before anything is allocated.
#include <string>

#include "localist/core/config.h"

namespace localist::hf {

struct ImportSummary {
  ModelConfig model;
  int64_t params = 0;
  int64_t tokenizer_vocab = 0;
  std::string checkpoint_dir;
};

ImportSummary import_gpt2(const std::string& hf_dir, const std::string& run_dir);

// config.json -> our ModelConfig; ConfigError naming the field for anything GPT-2 allows that
// this model cannot run (another architecture, a layer-norm epsilon other than 1e-5, ...).
ModelConfig gpt2_model_config(const nlohmann::json& config, const std::string& source);

}  // namespace localist::hf
