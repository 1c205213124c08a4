// The attention block's gradient against central finite differences, in float64.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "localist/model/attention.h"
#include "tiny_model.h"

namespace localist {
namespace {

ModelConfig tiny_config() { return testing::tiny_model(11, 1, 2, 8, 5); }

// Scalar objective: a fixed random projection of the attention output.
double objective(CausalSelfAttention& attn, const torch::Tensor& x, const torch::Tensor& w) {
  return (attn(x).y * w).sum().item<double>();
}

TEST(AttentionGradient, MatchesFiniteDifferencesForInputAndWeights) {
  torch::manual_seed(0);
  CausalSelfAttention attn(tiny_config());
  attn->to(torch::kDouble);
  auto x = torch::randn({2, 5, 8}, torch::kDouble).requires_grad_(true);
  auto w = torch::randn({2, 5, 8}, torch::kDouble);
  (attn(x).y * w).sum().backward();

  const double h = 1e-6;
  double worst = 0;
  auto check = [&](torch::Tensor t, const torch::Tensor& grad) {
    torch::NoGradGuard no_grad;
    auto flat = t.view({-1});
    auto gflat = grad.reshape({-1});
    for (int64_t i = 0; i < flat.numel(); i += 3) {  // every third entry keeps it quick
      const double orig = flat[i].item<double>();
      flat[i] = orig + h;
      const double up = objective(attn, x, w);
      flat[i] = orig - h;
      const double down = objective(attn, x, w);
      flat[i] = orig;
      const double fd = (up - down) / (2 * h);
      const double err = std::abs(fd - gflat[i].item<double>()) / std::max(1.0, std::abs(fd));
      worst = std::max(worst, err);
    }
  };
  check(x.detach(), x.grad());
  check(attn->c_attn->weight, attn->c_attn->weight.grad());
  check(attn->c_proj->weight, attn->c_proj->weight.grad());
  EXPECT_LT(worst, 1e-7) << "largest relative gradient error";
}

TEST(AttentionGradient, ProbabilitiesAreCausalAndNormalised) {
  torch::manual_seed(1);
  CausalSelfAttention attn(tiny_config());
  auto out = attn(torch::randn({3, 5, 8}), /*need_probs=*/true);
  ASSERT_TRUE(out.probs.defined());
  EXPECT_EQ(out.probs.sizes(), (std::vector<int64_t>{3, 2, 5, 5}));
  EXPECT_TRUE(torch::allclose(out.probs.sum(-1), torch::ones({3, 2, 5}), 1e-5, 1e-6));
  auto future = torch::ones({5, 5}, torch::kBool).triu(1);
  EXPECT_EQ(out.probs.masked_select(future.expand({3, 2, 5, 5})).abs().max().item<float>(), 0.0f);
}

TEST(AttentionGradient, ProbsRequestDoesNotChangeOutput) {
  torch::manual_seed(2);
  CausalSelfAttention attn(tiny_config());
  attn->eval();
  auto x = torch::randn({2, 5, 8});
  auto fast = attn(x, false).y, plain = attn(x, true).y;
  EXPECT_TRUE(torch::allclose(fast, plain, 1e-5, 1e-6));
}

}  // namespace
}  // namespace localist
