// localist generate: sample text from a checkpoint with temperature / top-k, with the dial of the
// checkpoint (or of the localist flags) biasing every step's attention.
#include <iostream>

#include "commands.h"
#include "localist/core/device.h"
#include "localist/model/sampler.h"
#include "localist/run/checkpoint.h"

namespace localist::app {

namespace {
struct GenerateArgs {
  std::string checkpoint, prompt = "\n", device = "auto";
  SampleOptions opt;
  int64_t threads = 0;
  LocalistConfig localist;  // overrides of the checkpoint's, when given
};
}  // namespace

void add_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "sample text from a checkpoint");
  auto a = std::make_shared<GenerateArgs>();
  cmd->add_option("checkpoint", a->checkpoint, "run or checkpoint directory")->required();
  cmd->add_option("--prompt", a->prompt, "text to continue")->capture_default_str();
  cmd->add_option("--max-new-tokens,-n", a->opt.max_new_tokens, "tokens to sample")
      ->capture_default_str();
  cmd->add_option("--temperature", a->opt.temperature, "softmax temperature (0 = greedy)")
      ->capture_default_str();
  cmd->add_option("--top-k", a->opt.top_k, "sample from the k most likely (0 = all)")
      ->capture_default_str();
  cmd->add_option("--seed", a->opt.seed, "sampling seed")->capture_default_str();
  cmd->add_option("--device", a->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_option("--threads", a->threads, "CPU threads (0 = LibTorch's default: OMP_NUM_THREADS, else one per core)");
  add_localist_options(*cmd, a->localist);
  cmd->callback([a, cmd] {
    set_threads(a->threads);
    const auto device = resolve_device(a->device);
    auto lm = load_model(a->checkpoint, device);
    // The dial moves at inference: flags override the checkpoint's blocks and dial.
    const LocalistConfig lc = localist_overrides(lm.meta.localist, *cmd, a->localist);
    const auto blocks = BlockMap::from_config(lc, *lm.tokenizer);
    SampleOptions opt = a->opt;
    opt.blocks = &blocks;
    opt.dial = Dial::from_config(lc);
    auto ids = sample(lm.model, lm.tokenizer->encode(a->prompt), opt, device);
    std::cout << lm.tokenizer->decode(ids) << std::endl;
  });
}

}  // namespace localist::app
