// Entropy, fidelity and block mass against values computed by hand on tiny attention matrices.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "localist/metrics/attention_metrics.h"

namespace localist {
namespace {

// One sequence of T = 3, one layer, one head. Blocks: [0, 0, 1]; anchors: positions 0 and 2.
//   row t=0: [1]                 H = 0 bits
//   row t=1: [0.5, 0.5]          H = 1 bit
//   row t=2: [0.25, 0.25, 0.5]   H = 1.5 bits
BlockLayout layout3() {
  auto block = torch::tensor({0, 0, 1}, torch::kLong).view({1, 3});
  auto anchor = torch::tensor({1, 0, 1}, torch::kBool).view({1, 3});
  return {block, block.clone(), anchor, {}};
}

torch::Tensor probs3() {
  return torch::tensor({1.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.25, 0.25, 0.5}, torch::kDouble)
      .view({1, 1, 3, 3});
}

TEST(AttentionMetrics, EntropyInBitsAndItsReference) {
  AttentionMetricsAccumulator acc(2);
  acc.add({probs3()}, layout3());
  auto m = acc.result();
  EXPECT_NEAR(m.entropy_bits, (0.0 + 1.0 + 1.5) / 3, 1e-12);
  EXPECT_NEAR(m.max_entropy_bits, (std::log2(1.0) + std::log2(2.0) + std::log2(3.0)) / 3, 1e-12);
  EXPECT_EQ(m.queries, 3);
}

TEST(AttentionMetrics, BlockAndPointerFidelity) {
  AttentionMetricsAccumulator acc(2);
  acc.add({probs3()}, layout3());
  auto m = acc.result();
  // target = own block. t=0: block {0} mass 1, anchor {0} mass 1; t=1: block {0,1} mass 1,
  // anchor {0} mass 0.5; t=2: block {2} mass 0.5, anchor {2} mass 0.5.
  EXPECT_NEAR(m.block_fidelity, (1.0 + 1.0 + 0.5) / 3, 1e-12);
  EXPECT_NEAR(m.pointer_fidelity, (1.0 + 0.5 + 0.5) / 3, 1e-12);
  EXPECT_EQ(m.pointer_excluded, 0);
}

TEST(AttentionMetrics, QueriesWithoutATargetAreExcludedAndCounted) {
  auto l = layout3();
  l.target = torch::tensor({1, 1, 1}, torch::kLong).view({1, 3});  // everyone should read block 1
  AttentionMetricsAccumulator acc(2);
  acc.add({probs3()}, l);
  auto m = acc.result();
  // block 1 exists only from t=2 on: t=0 and t=1 have empty target sets
  EXPECT_EQ(m.block_excluded, 2);
  EXPECT_EQ(m.pointer_excluded, 2);
  EXPECT_NEAR(m.block_fidelity, 0.5, 1e-12);
}

TEST(AttentionMetrics, BlockMassMatrix) {
  AttentionMetricsAccumulator acc(2);
  acc.add({probs3()}, layout3());
  auto mass = acc.result().block_mass;  // (1, 1, 2, 2)
  // query block 0 (t=0, 1): mass on key block 0 is 1 and 1 -> mean 1; on block 1: 0
  // query block 1 (t=2): 0.5 on block 0, 0.5 on block 1
  EXPECT_NEAR(mass[0][0][0][0].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(mass[0][0][0][1].item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(mass[0][0][1][0].item<double>(), 0.5, 1e-12);
  EXPECT_NEAR(mass[0][0][1][1].item<double>(), 0.5, 1e-12);
}

TEST(AttentionMetrics, AveragesOverLayersHeadsAndBatches) {
  AttentionMetricsAccumulator acc(2);
  auto uniform_first = torch::tensor({1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0}, torch::kDouble)
                           .view({1, 1, 3, 3});  // everyone reads position 0: H = 0
  auto two_heads = torch::cat({probs3(), uniform_first}, 1);  // (1, 2, 3, 3)
  acc.add({two_heads, two_heads}, layout3());
  acc.add({two_heads, two_heads}, layout3());
  auto m = acc.result();
  EXPECT_EQ(m.entropy_per_head.sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_NEAR(m.entropy_per_head[0][0].item<double>(), 2.5 / 3, 1e-12);
  EXPECT_NEAR(m.entropy_per_head[1][1].item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(m.entropy_bits, 2.5 / 6, 1e-12);
}

}  // namespace
}  // namespace localist
