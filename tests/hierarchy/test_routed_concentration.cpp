// The routed bound check against hand-made attention (the weighted mass, the member's bound at
// its uniform margin, the mixed bound) and on a real model (masses off its own blocks equal
// 1 - block fidelity; a hard mask leaves nothing off target).
#include <gtest/gtest.h>

#include <cmath>

#include "localist/core/errors.h"
#include "localist/hierarchy/routed_concentration.h"
#include "localist/metrics/attention_metrics.h"
#include "localist/metrics/threshold.h"
#include "../tiny_model.h"

namespace localist {
namespace {

// Two members, three queries (t = 0, 1, 2: N = 1, 2, 3 visible keys), m = 1 target key each.
SegmentAttention hand_made(std::vector<double> off_self, std::vector<double> off_other, size_t self,
                           float margin) {
  SegmentAttention s;
  s.off_mass = torch::zeros({2, 3}, torch::kDouble);
  s.off_mass[self] = torch::tensor(off_self, torch::kDouble);
  s.off_mass[1 - self] = torch::tensor(off_other, torch::kDouble);
  s.margins = torch::full({4}, margin, torch::kFloat);
  s.targets = torch::ones({3}, torch::kDouble);
  s.has_both = torch::tensor({false, true, true});  // t = 0 sees its own key only
  return s;
}

TEST(RoutedConcentration, HardKeepsTheMembersBoundSoftMixesIt) {
  // member 0 concentrated on its blocks (margin 3), member 1 too (margin 2), but member 1's
  // attention sits off member 0's blocks (mass 0.9)
  const auto a0 = hand_made({0.0, 0.01, 0.02}, {0.0, 0.5, 0.6}, 0, 3.0f);
  const auto a1 = hand_made({0.0, 0.05, 0.04}, {0.0, 0.9, 0.9}, 1, 2.0f);
  RoutedConcentration rc(2, 0.0);
  const auto hard = torch::tensor({1.0, 1.0, 1.0, 0.0, 0.0, 0.0}, torch::kDouble).view({2, 3});  // all to member 0
  const auto soft = torch::tensor({0.5, 0.8, 0.6, 0.5, 0.2, 0.4}, torch::kDouble).view({2, 3});
  rc.add_segment({a0, a1}, {hard, soft});
  const auto d = rc.uniform_margins();
  EXPECT_NEAR(d[0], 3.0, 1e-6);
  EXPECT_NEAR(d[1], 2.0, 1e-6);
  const auto r = rc.result();
  ASSERT_EQ(r.size(), 2u);
  // hard: queries 1 and 2 audited by member 0; eps = its own masses; B = 1 / (1 + 1 * e^3 / (N - 1))
  const double b1 = 1.0 / (1.0 + std::exp(3.0) / 1.0), b2 = 1.0 / (1.0 + std::exp(3.0) / 2.0);
  EXPECT_EQ(r[0][0].queries, 2);
  EXPECT_EQ(r[0][1].queries, 0);
  EXPECT_NEAR(r[0][0].off_mass, (0.01 + 0.02) / 2, 1e-7);
  EXPECT_NEAR(r[0][0].bound, (b1 + b2) / 2, 1e-7);
  EXPECT_NEAR(r[0][0].within, 1.0, 1e-12);
  EXPECT_NEAR(r[0][0].weight, 1.0, 1e-12);
  // soft: member 0 audits both (0.8 and 0.6 > the rest); eps mixes member 1's mass off 0's blocks
  const double e1 = 0.8 * 0.01 + 0.2 * 0.9, e2 = 0.6 * 0.02 + 0.4 * 0.9;
  EXPECT_EQ(r[1][0].queries, 2);
  EXPECT_NEAR(r[1][0].off_mass, (e1 + e2) / 2, 1e-7);
  EXPECT_NEAR(r[1][0].within, 0.0, 1e-12);  // beyond the member's own guarantee
  EXPECT_NEAR(r[1][0].mixed_bound, (0.8 * b1 + 0.2 + 0.6 * b2 + 0.4) / 2, 1e-7);
  EXPECT_NEAR(r[1][0].within_mixed, 1.0, 1e-12);
  EXPECT_NEAR(r[1][0].weight, 0.7, 1e-7);
  EXPECT_THROW(RoutedConcentration(2, 60.0), ConfigError);  // not a low percentile
}

TEST(RoutedConcentration, SegmentAttentionMassesMatchBlockFidelity) {
  torch::manual_seed(5);
  Gpt model(testing::tiny_model(16, 2, 2, 32, 16));
  model->eval();
  const auto x = torch::randint(0, 16, {1, 16}, torch::kLong);
  const auto b4 = BlockMap::window(4), b8 = BlockMap::window(8);
  const std::vector<torch::Tensor> targets{target_keys(b4.layout(x)), target_keys(b8.layout(x))};
  const Dial dial{0.5, 4.0};
  const auto s = segment_attention(model, b4, dial, x, targets, 0);
  ASSERT_EQ(s.off_mass.sizes(), (std::vector<int64_t>{2, 16}));
  AttentionMetricsAccumulator acc(4);
  {
    torch::NoGradGuard g;
    const auto layout = b4.layout(x);
    acc.add(model->forward(x, true, dial_biases(layout, dial, 2)).attn, layout, torch::ones({1, 16}, torch::kBool));
  }
  // every query has a target under window:4, so the mean mass off it is 1 - block fidelity
  EXPECT_NEAR(s.off_mass[0].mean().item<double>(), 1.0 - acc.result().block_fidelity, 1e-5);
  // window:8 blocks contain window:4's: less mass off them
  EXPECT_TRUE((s.off_mass[1] <= s.off_mass[0] + 1e-9).all().item<bool>());
  EXPECT_EQ(s.margins.numel(), 2 * 2 * s.has_both.sum().item<int64_t>());
  // a hard mask: nothing off the own blocks, infinite margins
  const auto hard = segment_attention(model, b4, Dial{1.0, std::numeric_limits<double>::infinity()}, x, targets, 0);
  EXPECT_LT(hard.off_mass[0].abs().max().item<double>(), 1e-7);
  EXPECT_TRUE(torch::isinf(hard.margins).all().item<bool>());
}

}  // namespace
}  // namespace localist
