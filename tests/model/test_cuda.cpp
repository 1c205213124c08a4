// GPU checks; each skips cleanly when no CUDA device is present (CI has none).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "localist/core/device.h"
#include "localist/model/gpt.h"
#include "tiny_model.h"

namespace localist {
namespace {

ModelConfig small() { return testing::tiny_model(97, 2, 4, 64, 48); }

TEST(Cuda, AutoPicksTheGpuWhenPresent) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  EXPECT_TRUE(resolve_device("auto").is_cuda());
}

TEST(Cuda, LogitsAndGradientsMatchTheCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  torch::manual_seed(0);
  Gpt cpu(small());
  Gpt gpu(small());
  {
    torch::NoGradGuard g;
    auto src = cpu->parameters();
    auto dst = gpu->parameters();
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  }
  gpu->to(torch::kCUDA);
  auto idx = torch::randint(0, 97, {3, 48}, torch::kLong);
  auto y = torch::randint(0, 97, {3, 48}, torch::kLong);
  auto lc = GptImpl::loss(cpu->forward(idx).logits, y);
  auto lg = GptImpl::loss(gpu->forward(idx.cuda()).logits, y.cuda());
  lc.backward();
  lg.backward();
  // TF32 may be on for matmuls on the GPU: tolerances of that order.
  EXPECT_NEAR(lc.item<double>(), lg.item<double>(), 1e-3);
  auto gc = cpu->wte->weight.grad(), gg = gpu->wte->weight.grad().cpu();
  EXPECT_LT((gc - gg).norm().item<double>() / gc.norm().item<double>(), 1e-2);
}

TEST(Cuda, FusedAttentionMatchesThePlainPath) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  torch::manual_seed(1);
  Gpt m(small());
  m->to(torch::kCUDA);
  m->eval();
  auto idx = torch::randint(0, 97, {2, 48}, torch::kLong).cuda();
  auto fused = m->forward(idx, /*need_attn=*/false).logits;
  auto plain = m->forward(idx, /*need_attn=*/true).logits;
  EXPECT_LT((fused - plain).abs().max().item<double>(), 1e-3);
}

}  // namespace
}  // namespace localist
