#pragma once
// A checkpoint is a directory:
//   model.safetensors      the weights, by parameter name (opens with Python's safetensors)
//   optimizer.safetensors  AdamW moments by parameter name, and its step
//   checkpoint.json        model/data/train config, tokenizer, step, RNG scheme, last metrics
// It is written to DIR.tmp and renamed into place, so a crash mid-save never leaves a
// half-written checkpoint: the previous one stays readable.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "localist/core/config.h"
#include "localist/core/safetensors.h"
#include "localist/data/tokenizer.h"
#include "localist/model/gpt.h"

namespace localist {

struct CheckpointMeta {
  ModelConfig model;
  DataConfig data;
  TrainConfig train;
  LocalistConfig localist;
  nlohmann::json tokenizer;
  int64_t step = 0;            // optimizer steps completed
  nlohmann::json metrics;      // last evaluation, if any
  RecruitConfig recruit;       // block recruitment settings (training only)
};

void save_checkpoint(const std::string& dir, const CheckpointMeta& meta, Gpt& model,
                     const TensorMap* optimizer_state);

// Accepts a checkpoint directory or a run directory holding "checkpoint/".
std::string find_checkpoint_dir(const std::string& path);
// Reads DIR/checkpoint.json and checks its model config against the header of
// DIR/model.safetensors (the same parameter count) before anything is built from it.
CheckpointMeta read_checkpoint_meta(const std::string& dir);
// The checkpoint.json part alone, from its text; `source` names it in errors (CheckpointError).
CheckpointMeta checkpoint_meta_from_text(const std::string& text, const std::string& source);
void load_weights(const std::string& dir, Gpt& model);  // shapes must match exactly
// The same from tensors in memory; `source` names them in errors.
void copy_weights(const TensorMap& tensors, Gpt& model, const std::string& source);
TensorMap load_optimizer_state(const std::string& dir);

// Everything inference needs, ready on `device`, in eval mode.
struct LoadedModel {
  CheckpointMeta meta;
  std::unique_ptr<data::Tokenizer> tokenizer;
  Gpt model{nullptr};
};
LoadedModel load_model(const std::string& path, const torch::Device& device);

}  // namespace localist
