// gradient_norm and clip_gradients (train/gradient_clip.h) against hand values and against
// LibTorch's own clip_grad_norm_, which they replace without its host sync.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "localist/train/gradient_clip.h"

namespace localist {
namespace {

std::vector<torch::Tensor> params_with_grads(const std::vector<std::vector<float>>& grads) {
  std::vector<torch::Tensor> out;
  for (const auto& g : grads) {
    auto p = torch::zeros({static_cast<int64_t>(g.size())}, torch::requires_grad());
    p.mutable_grad() = torch::tensor(g);
    out.push_back(p);
  }
  return out;
}

TEST(GradientClip, NormIsTheL2NormOfEveryGradientTogether) {
  auto params = params_with_grads({{3, 0}, {0, 4}, {12}});  // sqrt(9 + 16 + 144) = 13
  EXPECT_NEAR(gradient_norm(params).item<double>(), 13.0, 1e-6);
  auto no_grad = torch::zeros({3}, torch::requires_grad());  // no .grad(): left out
  params.push_back(no_grad);
  EXPECT_NEAR(gradient_norm(params).item<double>(), 13.0, 1e-6);
  EXPECT_EQ(gradient_norm({no_grad}).item<double>(), 0.0);
}

TEST(GradientClip, ScalesDownToMaxNormAndLeavesSmallGradientsAlone) {
  auto params = params_with_grads({{3, 0}, {0, 4}});  // norm 5
  clip_gradients(params, gradient_norm(params), 1.0);
  const double scale = 1.0 / (5.0 + 1e-6);
  EXPECT_NEAR(params[0].grad()[0].item<double>(), 3 * scale, 1e-6);
  EXPECT_NEAR(params[1].grad()[1].item<double>(), 4 * scale, 1e-6);
  EXPECT_NEAR(gradient_norm(params).item<double>(), 1.0, 1e-5);

  auto small = params_with_grads({{0.3f, 0.4f}});
  clip_gradients(small, gradient_norm(small), 1.0);
  EXPECT_FLOAT_EQ(small[0].grad()[0].item<float>(), 0.3f);
  EXPECT_FLOAT_EQ(small[0].grad()[1].item<float>(), 0.4f);
}

TEST(GradientClip, MatchesLibTorchClipGradNorm) {
  torch::manual_seed(3);
  std::vector<torch::Tensor> ours, theirs;
  for (int64_t n : {7, 1, 33}) {
    auto g = torch::randn({n}) * 4;
    auto a = torch::zeros({n}, torch::requires_grad()), b = torch::zeros({n}, torch::requires_grad());
    a.mutable_grad() = g.clone();
    b.mutable_grad() = g.clone();
    ours.push_back(a);
    theirs.push_back(b);
  }
  const auto norm = gradient_norm(ours);
  const double expected = torch::nn::utils::clip_grad_norm_(theirs, 2.5);
  EXPECT_NEAR(norm.item<double>(), expected, 1e-4);
  clip_gradients(ours, norm, 2.5);
  for (size_t i = 0; i < ours.size(); ++i) EXPECT_TRUE(torch::allclose(ours[i].grad(), theirs[i].grad(), 1e-6, 1e-7)) << i;
}

TEST(GradientClip, ANonFiniteGradientMakesTheNormNonFinite) {
  auto params = params_with_grads({{1, 2}, {std::numeric_limits<float>::quiet_NaN()}});
  EXPECT_TRUE(std::isnan(gradient_norm(params).item<double>()));
  auto inf = params_with_grads({{1, std::numeric_limits<float>::infinity()}});
  EXPECT_FALSE(std::isfinite(gradient_norm(inf).item<double>()));
}

}  // namespace
}  // namespace localist
