#include "opened_checkpoint.h"

#include "commands.h"
#include "localist/core/device.h"

namespace localist::app {

void add_device_options(CLI::App& cmd, std::string& device, int64_t& threads) {
  cmd.add_option("--device", device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  cmd.add_option("--threads", threads,
                 "CPU threads (0 = LibTorch's default: OMP_NUM_THREADS, else one per core)")
      ->capture_default_str();
}

void add_inference_options(CLI::App& cmd, InferenceArgs& a) {
  add_device_options(cmd, a.device, a.threads);
  add_localist_options(cmd, a.localist);
}

OpenedCheckpoint open_checkpoint(const std::string& path, const CLI::App& cmd, const InferenceArgs& a) {
  set_threads(a.threads);
  const auto device = resolve_device(a.device);
  auto lm = load_model(path, device);
  auto localist = localist_overrides(lm.meta.localist, cmd, a.localist);
  auto blocks = BlockMap::from_config(localist, *lm.tokenizer);
  const auto dial = Dial::from_config(localist);
  return {device, std::move(lm), std::move(localist), std::move(blocks), dial};
}

}  // namespace localist::app
