// The per-token audit view against values computed by hand on a (1, H, T, T) attention tensor.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "localist/metrics/attention_explain.h"

namespace localist {
namespace {

// One sequence of T = 4. Blocks [0, 0, 1, 1], target = own block, anchors at 0 and 2.
BlockLayout layout4() {
  auto block = torch::tensor({0, 0, 1, 1}, torch::kLong).view({1, 4});
  auto anchor = torch::tensor({1, 0, 1, 0}, torch::kBool).view({1, 4});
  return {block, block.clone(), anchor, {}};
}

// (1, 2, 4, 4). Head 0:            Head 1:
//   t=0 [1]                          [1]
//   t=1 [.25 .75]                    [1 0]
//   t=2 [.5 .25 .25]                 [0 0 1]
//   t=3 [.1 .2 .3 .4]                [.0625 .0625 .125 .75]
torch::Tensor probs4() {
  auto h0 = torch::tensor({1.0, 0.0, 0.0, 0.0, 0.25, 0.75, 0.0, 0.0, 0.5, 0.25, 0.25, 0.0, 0.1, 0.2, 0.3, 0.4},
                          torch::kDouble).view({4, 4});
  auto h1 = torch::tensor({1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0625, 0.0625, 0.125, 0.75},
                          torch::kDouble).view({4, 4});
  return torch::stack({h0, h1}).unsqueeze(0);
}

double h2(std::initializer_list<double> p) {  // entropy in bits
  double s = 0;
  for (double x : p) s -= x > 0 ? x * std::log2(x) : 0;
  return s;
}

TEST(AttentionExplain, EveryQueryOfEveryHeadAsComputedByHand) {
  auto e = explain_attention({probs4()}, layout4());
  ASSERT_EQ(e.size(), 4u);
  ASSERT_EQ(e[0].heads.size(), 1u);
  ASSERT_EQ(e[0].heads[0].size(), 2u);
  EXPECT_EQ(e[2].position, 2);
  EXPECT_EQ(e[2].block, 1);
  EXPECT_EQ(e[2].target, 1);

  // head 0, t=1: all mass in block 0; the only visible anchor is 0 (0.25)
  auto a = e[1].heads[0][0];
  EXPECT_EQ(a.top_block, 0);
  EXPECT_NEAR(a.top_block_mass, 1.0, 1e-12);
  EXPECT_NEAR(a.target_mass, 1.0, 1e-12);
  EXPECT_EQ(a.top_anchor, 0);
  EXPECT_NEAR(a.top_anchor_mass, 0.25, 1e-12);
  EXPECT_NEAR(a.target_anchor_mass, 0.25, 1e-12);
  EXPECT_NEAR(a.entropy_bits, h2({0.25, 0.75}), 1e-12);

  // head 0, t=2: block 0 holds .75 (most attended) but the target is block 1 (.25); the
  // most-attended anchor is block 0's (position 0, .5), the target's anchor (2) gets .25
  auto b = e[2].heads[0][0];
  EXPECT_EQ(b.top_block, 0);
  EXPECT_NEAR(b.top_block_mass, 0.75, 1e-12);
  EXPECT_NEAR(b.target_mass, 0.25, 1e-12);
  EXPECT_EQ(b.top_anchor, 0);
  EXPECT_EQ(b.top_anchor_block, 0);
  EXPECT_NEAR(b.top_anchor_mass, 0.5, 1e-12);
  EXPECT_NEAR(b.target_anchor_mass, 0.25, 1e-12);
  EXPECT_NEAR(b.entropy_bits, 1.5, 1e-12);

  // head 0, t=3: block 1 holds .7; anchors 0 (.1) and 2 (.3)
  auto c = e[3].heads[0][0];
  EXPECT_EQ(c.top_block, 1);
  EXPECT_NEAR(c.top_block_mass, 0.7, 1e-12);
  EXPECT_NEAR(c.target_mass, 0.7, 1e-12);
  EXPECT_EQ(c.top_anchor, 2);
  EXPECT_EQ(c.top_anchor_block, 1);
  EXPECT_NEAR(c.top_anchor_mass, 0.3, 1e-12);
  EXPECT_NEAR(c.target_anchor_mass, 0.3, 1e-12);
  EXPECT_NEAR(c.entropy_bits, h2({0.1, 0.2, 0.3, 0.4}), 1e-12);

  // head 1, t=3
  auto d = e[3].heads[0][1];
  EXPECT_EQ(d.top_block, 1);
  EXPECT_NEAR(d.top_block_mass, 0.875, 1e-12);
  EXPECT_NEAR(d.target_mass, 0.875, 1e-12);
  EXPECT_EQ(d.top_anchor, 2);
  EXPECT_NEAR(d.top_anchor_mass, 0.125, 1e-12);
  EXPECT_NEAR(d.target_anchor_mass, 0.125, 1e-12);
  EXPECT_NEAR(d.entropy_bits, h2({0.0625, 0.0625, 0.125, 0.75}), 1e-12);

  // t=0 reads only itself: block 0, anchor 0, all mass, zero entropy
  auto z = e[0].heads[0][1];
  EXPECT_EQ(z.top_block, 0);
  EXPECT_NEAR(z.target_mass, 1.0, 1e-12);
  EXPECT_EQ(z.top_anchor, 0);
  EXPECT_NEAR(z.entropy_bits, 0.0, 1e-12);
}

TEST(AttentionExplain, MeanOverHeadsIsTheHeadAveragedDistribution) {
  auto e = explain_attention({probs4()}, layout4());
  // t=2: mean row [.25 .125 .625]: block 1 (.625) now wins, anchor 2 (.625) too;
  // entropy is the mean of the heads' entropies (1.5 and 0), not the mean row's
  auto m = e[2].mean;
  EXPECT_EQ(m.top_block, 1);
  EXPECT_NEAR(m.top_block_mass, 0.625, 1e-12);
  EXPECT_NEAR(m.target_mass, 0.625, 1e-12);
  EXPECT_EQ(m.top_anchor, 2);
  EXPECT_NEAR(m.top_anchor_mass, 0.625, 1e-12);
  EXPECT_NEAR(m.target_anchor_mass, 0.625, 1e-12);
  EXPECT_NEAR(m.entropy_bits, 0.75, 1e-12);
}

TEST(AttentionExplain, LayersKeepTheirOrderAndTheMeanSpansThem) {
  auto p = probs4();
  auto swapped = p.flip(1);  // layer 1: the heads of layer 0 in reverse order
  auto e = explain_attention({p, swapped}, layout4());
  ASSERT_EQ(e[3].heads.size(), 2u);
  EXPECT_NEAR(e[3].heads[1][0].target_mass, 0.875, 1e-12);
  EXPECT_NEAR(e[3].heads[1][1].target_mass, 0.7, 1e-12);
  // the mean over 4 heads equals the mean over the 2 distinct ones
  EXPECT_NEAR(e[3].mean.target_mass, (0.7 + 0.875) / 2, 1e-12);
  EXPECT_NEAR(e[3].mean.entropy_bits,
              (h2({0.1, 0.2, 0.3, 0.4}) + h2({0.0625, 0.0625, 0.125, 0.75})) / 2, 1e-12);
}

TEST(AttentionExplain, OtherTargetsAndQueriesWithoutOne) {
  auto l = layout4();
  l.target = torch::tensor({0, 0, 0, -1}, torch::kLong).view({1, 4});  // t=2 reads block 0; t=3 none
  auto e = explain_attention({probs4()}, l);
  EXPECT_EQ(e[3].target, -1);
  auto b = e[2].heads[0][0];
  EXPECT_NEAR(b.target_mass, 0.75, 1e-12);
  EXPECT_NEAR(b.target_anchor_mass, 0.5, 1e-12);
  EXPECT_TRUE(std::isnan(e[3].heads[0][0].target_mass));
  EXPECT_TRUE(std::isnan(e[3].heads[0][0].target_anchor_mass));
  EXPECT_EQ(e[3].heads[0][0].top_block, 1);  // still reported: where attention went
}

TEST(AttentionExplain, TiesGoToTheLowestBlockAndTheEarliestAnchor) {
  auto block = torch::tensor({0, 1}, torch::kLong).view({1, 2});
  BlockLayout l{block, block.clone(), torch::tensor({1, 1}, torch::kBool).view({1, 2}), {}};
  auto p = torch::tensor({1.0, 0.0, 0.5, 0.5}, torch::kDouble).view({1, 1, 2, 2});
  auto e = explain_attention({p}, l);
  EXPECT_EQ(e[1].heads[0][0].top_block, 0);
  EXPECT_EQ(e[1].heads[0][0].top_anchor, 0);
  EXPECT_NEAR(e[1].heads[0][0].entropy_bits, 1.0, 1e-12);
}

}  // namespace
}  // namespace localist
