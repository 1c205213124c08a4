#pragma once
// What every command that runs a checkpoint shares: where it runs (--device, --threads) and
// the blocks and dial it runs under (the localist flags given override the checkpoint's: the
// dial moves at inference without retraining). One place, so each command reads alike.
#include <string>

#include <CLI/CLI.hpp>

#include "localist/blocks/block_map.h"
#include "localist/core/config.h"
#include "localist/metrics/checkpoint_eval.h"
#include "localist/model/dial.h"
#include "localist/run/checkpoint.h"

namespace localist::app {

struct InferenceArgs {
  std::string device = "auto";
  int64_t threads = 0;
  LocalistConfig localist;  // overrides of the checkpoint's, when given on the command line
};

// --device and --threads (declared once for every command).
void add_device_options(CLI::App& cmd, std::string& device, int64_t& threads);
// The above and the localist options.
void add_inference_options(CLI::App& cmd, InferenceArgs& a);

struct OpenedCheckpoint {
  torch::Device device{torch::kCPU};
  LoadedModel lm;
  LocalistConfig localist;  // the checkpoint's with the flags' overrides, validated
  BlockMap blocks;
  Dial dial;
};

// Sets the threads, resolves the device, loads the checkpoint (a run or checkpoint directory),
// applies the overrides given on `cmd`, builds the block map and the dial.
OpenedCheckpoint open_checkpoint(const std::string& path, const CLI::App& cmd, const InferenceArgs& a);

}  // namespace localist::app
