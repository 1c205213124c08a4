// localist generate: sample text from a checkpoint with temperature / top-k, with the dial of the
// checkpoint (or of the localist flags) biasing every step's attention.
#include <iostream>

#include "commands.h"
#include "opened_checkpoint.h"
#include "localist/core/device.h"
#include "localist/model/sampler.h"
#include "localist/run/checkpoint.h"

namespace localist::app {

namespace {
struct GenerateArgs {
  std::string checkpoint, prompt = "\n";
  SampleOptions opt;
  InferenceArgs run;  // device, threads, localist overrides
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
  add_inference_options(*cmd, a->run);
  cmd->callback([a, cmd] {
    auto c = open_checkpoint(a->checkpoint, *cmd, a->run);
    auto& lm = c.lm;
    SampleOptions opt = a->opt;
    opt.blocks = &c.blocks;
    opt.dial = c.dial;
    auto ids = sample(lm.model, lm.tokenizer->encode(a->prompt), opt, c.device);
    std::cout << lm.tokenizer->decode(ids) << std::endl;
  });
}

}  // namespace localist::app
