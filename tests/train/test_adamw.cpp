// Our AdamW against LibTorch's torch::optim::AdamW on the same parameters and gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "localist/core/errors.h"
#include "localist/train/adamw.h"
#include "localist/train/lr_schedule.h"

namespace localist {
namespace {

// Feeds both optimizers the same random gradients for `steps` steps; the largest gap between
// their parameters after.
double gap_after(AdamW& ours, torch::optim::Optimizer& theirs, torch::Tensor& w1, torch::Tensor& w2, int steps) {
  for (int step = 0; step < steps; ++step) {
    auto g = torch::randn(w1.sizes(), torch::kDouble);
    w1.mutable_grad() = g.clone();
    w2.mutable_grad() = g.clone();
    ours.step();
    theirs.step();
  }
  return (w1 - w2).abs().max().item<double>();
}

TEST(AdamW, MatchesLibTorchAdamW) {
  torch::manual_seed(3);
  auto w1 = torch::randn({4, 3}, torch::kDouble).requires_grad_(true);
  auto w2 = w1.detach().clone().requires_grad_(true);
  AdamW ours({{"w", w1}}, {0.01, 0.9, 0.95, 1e-8, 0.1});
  torch::optim::AdamW theirs({w2}, torch::optim::AdamWOptions(0.01).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.1));
  EXPECT_LT(gap_after(ours, theirs, w1, w2, 20), 1e-12);
}

// The proximal-gradient mode's optimizer: plain SGD, against LibTorch's SGD (decay kept decoupled).
TEST(AdamW, SgdModeIsPlainSgd) {
  torch::manual_seed(4);
  auto w1 = torch::randn({4, 3}, torch::kDouble).requires_grad_(true);
  auto w2 = w1.detach().clone().requires_grad_(true);
  AdamWOptions o{0.05, 0.9, 0.95, 1e-8, 0.0};
  o.sgd = true;
  AdamW ours({{"w", w1}}, o);
  torch::optim::SGD theirs({w2}, torch::optim::SGDOptions(0.05));
  EXPECT_LT(gap_after(ours, theirs, w1, w2, 10), 1e-12);
  EXPECT_EQ(ours.steps(), 10);
  EXPECT_EQ(ours.state().at("exp_avg.w").abs().max().item<double>(), 0.0);  // no moments
}

TEST(AdamW, StateRoundTripsAndRejectsMismatch) {
  auto w = torch::randn({2, 2}).requires_grad_(true);
  AdamW opt({{"w", w}}, {});
  w.mutable_grad() = torch::ones({2, 2});
  opt.step();
  auto state = opt.state();
  EXPECT_EQ(state.at("step").item<int64_t>(), 1);
  AdamW other({{"w", torch::zeros({2, 2}).requires_grad_(true)}}, {});
  other.load_state(state);
  EXPECT_EQ(other.steps(), 1);
  EXPECT_TRUE(torch::equal(other.state().at("exp_avg.w"), state.at("exp_avg.w")));
  AdamW wrong({{"w", torch::zeros({3}).requires_grad_(true)}}, {});
  EXPECT_THROW(wrong.load_state(state), CheckpointError);
}

TEST(LrSchedule, WarmupThenCosineToMin) {
  EXPECT_NEAR(lr_at(0, 1.0, 0.1, 10, 110), 0.1, 1e-12);
  EXPECT_NEAR(lr_at(9, 1.0, 0.1, 10, 110), 1.0, 1e-12);
  EXPECT_NEAR(lr_at(10, 1.0, 0.1, 10, 110), 1.0, 1e-12);
  EXPECT_NEAR(lr_at(60, 1.0, 0.1, 10, 110), 0.55, 1e-12);  // half-way down the cosine
  EXPECT_NEAR(lr_at(110, 1.0, 0.1, 10, 110), 0.1, 1e-12);
  EXPECT_NEAR(lr_at(500, 1.0, 0.1, 10, 110), 0.1, 1e-12);
}

}  // namespace
}  // namespace localist
