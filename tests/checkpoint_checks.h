#pragma once
// Checks on a saved checkpoint shared by the fault tests.
#include <string>

#include "localist/core/safetensors.h"
#include "localist/run/checkpoint.h"

namespace localist::testing {

// Whether every weight of the checkpoint that `run` resolves to is finite.
inline bool checkpoint_weights_finite(const std::string& run) {
  for (const auto& [name, t] : load_safetensors(find_checkpoint_dir(run) + "/model.safetensors"))
    if (!torch::isfinite(t).all().item<bool>()) return false;
  return true;
}

}  // namespace localist::testing
