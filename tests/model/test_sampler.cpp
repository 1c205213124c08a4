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

// The batched forward a server shares between requests: ragged contexts (one longer than the
// context, cropped), each under its own dial or none, give each context's own logits.
void expect_batch_equals_each(Gpt& model, const std::vector<std::vector<int32_t>>& contexts,
                              const std::vector<SampleOptions>& opts) {
  std::vector<LogitsQuery> queries;
  for (size_t i = 0; i < contexts.size(); ++i) queries.push_back({&contexts[i], opts[i].blocks, opts[i].dial});
  const auto batched = next_token_logits_batch(model, queries, torch::kCPU);
  ASSERT_EQ(batched.size(), contexts.size());
  for (size_t i = 0; i < contexts.size(); ++i) {
    const auto own = next_token_logits(model, contexts[i], opts[i], torch::kCPU);
    EXPECT_TRUE(torch::allclose(batched[i], own, 1e-4, 1e-5))
        << "context " << i << " (" << contexts[i].size() << " tokens): max diff "
        << (batched[i] - own).abs().max().item<double>();
  }
}

TEST(Sampler, ABatchOfRaggedContextsUnderMixedDialsGivesEachItsOwnLogits) {
  DialRun run;
  auto blocks = BlockMap::from_config(run.lm.meta.localist, *run.lm.tokenizer);
  SampleOptions plain, dialled, soft;
  dialled.blocks = soft.blocks = &blocks;
  dialled.dial = Dial::from_config(run.lm.meta.localist);
  soft.dial = Dial{0.4, 3.0};
  std::vector<std::vector<int32_t>> contexts;
  for (size_t n : {3, 17, 9, 64, 32}) contexts.emplace_back(run.text.begin(), run.text.begin() + n);  // 64 > 32: cropped
  expect_batch_equals_each(run.lm.model, contexts, {dialled, plain, soft, dialled, plain});
  expect_batch_equals_each(run.lm.model, {contexts[1]}, {dialled});  // one row: its biases pass through
}

TEST(Sampler, ABatchOnALeakingModelMasksEachRowsPadding) {
  torch::manual_seed(4);
  auto cfg = testing::tiny_model(11, 2, 2, 16, 8);
  cfg.causal = false;  // its queries see later keys: the padding must be masked
  Gpt model(cfg);
  model->eval();
  auto blocks = BlockMap::window(2);
  SampleOptions plain, dialled;
  dialled.blocks = &blocks;
  dialled.dial = Dial{0.7, 5.0};
  const std::vector<std::vector<int32_t>> contexts{{1, 2}, {3, 4, 5, 6, 7, 8}, {9}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}};
  expect_batch_equals_each(model, contexts, {plain, dialled, dialled, plain});
}

TEST(Sampler, ATinyTemperatureIsAlmostGreedyNotNaN) {
  // 1.5e-232 once divided the logits into inf - inf = NaN (a served request answered 500)
  auto gen = at::detail::createCPUGenerator(7);
  const auto logits = torch::tensor({1.0f, 3.0f, -2.0f, 2.9f});
  for (double t : {1.5e-232, 1e-30, 1e-3}) {
    SampleOptions opt;
    opt.temperature = t;
    torch::Tensor p;
    EXPECT_EQ(draw(logits, opt, gen, &p), 1) << t;
    EXPECT_TRUE(torch::isfinite(p).all().item<bool>()) << t;
    EXPECT_NEAR(p.sum().item<double>(), 1.0, 1e-6) << t;
  }
  SampleOptions warm;  // and an ordinary temperature is untouched by the shift
  warm.temperature = 0.5;
  torch::Tensor p;
  draw(logits, warm, gen, &p);
  EXPECT_TRUE(torch::allclose(p, torch::softmax(logits / 0.5, -1), 1e-6, 1e-7));
}

TEST(Sampler, ABadDialIsAConfigError) {
  Gpt model(testing::tiny_model(5, 1, 1, 8, 4));
  SampleOptions opt;
  opt.dial = Dial{1.5, 10.0};
  EXPECT_THROW(sample(model, {1}, opt, torch::kCPU), ConfigError);
}

}  // namespace
}  // namespace localist
