#pragma once
// The trainer's set-up, before the first step (train/trainer.cpp runs the steps):
//   resolve_configs   the request's configs, or a resumed run's, or a base model's shape;
//                     validated together (recruitment's preconditions included)
//   load_train_data   the tokenizer and token files (distributed: rank 0 makes them once)
//   settle_rules      the rules file read once, info:N anchors chosen from the training data
//   build_model       the model, which parameters train, AdamW, and the resumed/base weights
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "localist/core/config.h"
#include "localist/model/gpt.h"
#include "localist/run/checkpoint.h"
#include "localist/run/run_data.h"
#include "localist/train/adamw.h"
#include "localist/train/trainer.h"

namespace localist {

class Distributed;

struct RunConfigs {
  ModelConfig model;
  DataConfig data;
  TrainConfig train;
  LocalistConfig localist;
  RecruitConfig recruit;
  int64_t start_step = 0;  // > 0 when resuming
  CheckpointMeta resumed;  // resume: the run's checkpoint
  CheckpointMeta base;     // init_from: the base model's checkpoint
};
RunConfigs resolve_configs(const TrainRequest& req);

// dist: null when training alone; the other ranks receive rank 0's tokenizer.
RunData load_train_data(const RunConfigs& cfg, const TrainRequest& req, Distributed* dist);

// Reads the rules file into cfg.localist.rules (the checkpoint keeps them) and, for a new run
// with anchors = info:N, chooses the anchors; `out` and `metrics_path` receive the choice.
void settle_rules(RunConfigs& cfg, const RunData& data, bool new_run, std::ostream* out,
                  const std::string& metrics_path);

struct BuiltModel {
  Gpt model{nullptr};
  std::vector<std::pair<std::string, torch::Tensor>> trained;  // parameters AdamW updates
  int64_t trainable = 0;
};
// Seeded, on `device`; --train-only freezes the rest; resumed or base weights loaded.
BuiltModel build_model(const RunConfigs& cfg, const TrainRequest& req, const torch::Device& device);
AdamWOptions adamw_options(const TrainConfig& t);

}  // namespace localist
