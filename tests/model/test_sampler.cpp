// Sampling with the dial: lambda = 0 is plain sampling; an active dial biases every step's forward.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "localist/core/errors.h"
#include "localist/core/temp_dir.h"
#include "localist/model/sampler.h"
#include "localist/run/checkpoint.h"
#include "localist/run/run_data.h"
#include "localist/train/trainer.h"
#include "tiny_model.h"
#include "tiny_run.h"

namespace localist {
namespace {

// A tiny run trained with the hard mask (lambda = 1, kappa = inf) on the synthetic corpus.
struct DialRun {
  TempDir dir;
  LoadedModel lm;
  std::vector<int32_t> text;  // validation tokens: several segments (newline-separated)
  DialRun() {
    auto r = testing::tiny_localist_run(dir.file("run"));
    r.localist.logit_bias = true;
    r.localist.kappa = std::numeric_limits<double>::infinity();
    train(r);
    lm = load_model(dir.file("run"), torch::kCPU);
    auto rd = prepare_run_data(lm.meta.data, dir.file("run/tokens"), &lm.meta.tokenizer);
    for (int64_t i = 0; i < 64; ++i) text.push_back(rd.valid[i]);
  }
};

TEST(Sampler, LambdaZeroIsPlainSampling) {
  torch::manual_seed(3);
  Gpt model(testing::tiny_model(11, 1, 2, 16, 8));
  model->eval();
  auto blocks = BlockMap::window(2);
  SampleOptions plain;
  plain.max_new_tokens = 20;  // past context_length: the context is cropped
  plain.seed = 5;
  SampleOptions dial_off = plain;
  dial_off.blocks = &blocks;
  dial_off.dial = Dial{0.0, 10.0};
  const std::vector<int32_t> prompt{1, 2, 3};
  EXPECT_EQ(sample(model, prompt, plain, torch::kCPU), sample(model, prompt, dial_off, torch::kCPU));
  EXPECT_TRUE(torch::equal(next_token_logits(model, prompt, plain, torch::kCPU),
                           next_token_logits(model, prompt, dial_off, torch::kCPU)));
}

TEST(Sampler, TheDialBiasesEveryStepsForward) {
  DialRun run;
  auto blocks = BlockMap::from_config(run.lm.meta.localist, *run.lm.tokenizer);
  SampleOptions plain, dialled;
  dialled.blocks = &blocks;
  dialled.dial = Dial::from_config(run.lm.meta.localist);
  ASSERT_TRUE(dialled.dial.active());
  ASSERT_TRUE(std::isinf(dialled.dial.kappa));
  // Contexts that span a segment boundary: the hard mask removes the earlier segments.
  double max_diff = 0;
  for (size_t n = 2; n <= run.text.size(); n += 5) {
    std::vector<int32_t> ctx(run.text.begin(), run.text.begin() + n);
    auto d = (next_token_logits(run.lm.model, ctx, dialled, torch::kCPU) -
              next_token_logits(run.lm.model, ctx, plain, torch::kCPU)).abs().max().item<double>();
    max_diff = std::max(max_diff, d);
  }
  EXPECT_GT(max_diff, 1e-3);

  // Sampling runs under the hard mask, and greedy sampling follows the biased logits step by step.
  dialled.temperature = 0;
  dialled.max_new_tokens = 40;  // past context_length (32): the layout of the cropped context
  std::vector<int32_t> prompt(run.text.begin(), run.text.begin() + 5);
  auto out = sample(run.lm.model, prompt, dialled, torch::kCPU);
  ASSERT_EQ(out.size(), prompt.size() + 40);
  std::vector<int32_t> greedy = prompt;
  for (int i = 0; i < 40; ++i)
    greedy.push_back(next_token_logits(run.lm.model, greedy, dialled, torch::kCPU).argmax().item<int32_t>());
  EXPECT_EQ(out, greedy);
}

TEST(Sampler, ABadDialIsAConfigError) {
  Gpt model(testing::tiny_model(5, 1, 1, 8, 4));
  SampleOptions opt;
  opt.dial = Dial{1.5, 10.0};
  EXPECT_THROW(sample(model, {1}, opt, torch::kCPU), ConfigError);
}

}  // namespace
}  // namespace localist
