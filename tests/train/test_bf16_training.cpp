// bf16 mixed precision (core/autocast.h, --precision bf16): inside the guard the matmuls run
// in bfloat16 while parameters, gradients and the loss stay float32; the guard restores what
// was there; a short bf16 run trains like an fp32 run. On the CPU here (PyTorch's CPU autocast
// has the same bf16 lists); the GPU run is scripts/gpu_check.sh.
#include <gtest/gtest.h>

#include <ATen/autocast_mode.h>

#include <numeric>

#include "localist/core/autocast.h"
#include "localist/core/temp_dir.h"
#include "localist/model/gpt.h"
#include "tiny_model.h"
#include "tiny_run.h"

namespace localist {
namespace {

TEST(Bf16Autocast, MatmulsInBf16MasterWeightsAndLossInFp32) {
  torch::manual_seed(0);
  Gpt m(testing::tiny_model(50, 2, 2, 32, 16));
  auto idx = torch::randint(0, 50, {2, 16}, torch::kLong), y = torch::randint(0, 50, {2, 16}, torch::kLong);
  const auto fp32 = GptImpl::loss(m->forward(idx).logits, y);
  torch::Tensor loss, logits;
  {
    Bf16Autocast autocast(torch::kCPU, true);
    logits = m->forward(idx).logits;
    loss = GptImpl::loss(logits, y);
    EXPECT_TRUE(at::autocast::is_autocast_enabled(at::kCPU));
  }
  EXPECT_FALSE(at::autocast::is_autocast_enabled(at::kCPU));  // restored
  EXPECT_EQ(logits.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(loss.scalar_type(), torch::kFloat);
  EXPECT_NEAR(loss.item<double>(), fp32.item<double>(), 0.02);
  loss.backward();
  for (const auto& p : m->parameters()) {
    EXPECT_EQ(p.scalar_type(), torch::kFloat);
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().scalar_type(), torch::kFloat);
  }
  {
    Bf16Autocast off(torch::kCPU, false);  // disabled: nothing changes
    EXPECT_EQ(m->forward(idx).logits.scalar_type(), torch::kFloat);
  }
}

TEST(Bf16Autocast, ABf16RunTrainsLikeAnFp32Run) {
  auto run = [](const std::string& precision) {
    TempDir dir("localist_bf16");
    auto r = testing::tiny_localist_run(dir.file("run"));
    r.data.synth_tokens = 8000;
    r.train.max_steps = 60;
    r.train.eval_interval = 60;
    r.train.eval_tokens = 1000;
    r.train.precision = precision;
    return train(r);
  };
  const auto fp32 = run("fp32"), bf16 = run("bf16");
  auto tail = [](const std::vector<double>& l) { return std::accumulate(l.end() - 10, l.end(), 0.0) / 10; };
  EXPECT_LT(tail(bf16.losses), bf16.losses.front() - 0.3);  // it learns
  EXPECT_NEAR(tail(bf16.losses), tail(fp32.losses), 0.1);
  EXPECT_NEAR(bf16.valid.nll, fp32.valid.nll, 0.1);
}

}  // namespace
}  // namespace localist
