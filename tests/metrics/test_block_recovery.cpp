// Block recovery against a truth (metrics/block_recovery.h): exact blocks, shares, foreign types
// and ARI on hand-made partitions.
#include <gtest/gtest.h>

#include "localist/metrics/block_recovery.h"

namespace localist {
namespace {

TEST(BlockRecovery, ExactSharedAndForeignTypes) {
  const std::vector<TrueBlock> truth = {{"A", {10, 11, 12}}, {"B", {20, 21}}, {"C", {30, 31}}};
  // A recovered exactly as class 1; B split (20 in class 2 with C's 30; 21 left in other);
  // C's 31 in other. Token 99 (shared, not in the truth) in class 1 does not count.
  const std::map<int64_t, int64_t> found = {{10, 1}, {11, 1}, {12, 1}, {99, 1}, {20, 2}, {30, 2}};
  const auto r = block_recovery(truth, found);
  EXPECT_EQ(r["types"], 7);
  EXPECT_EQ(r["exact"], 1);
  EXPECT_NEAR(r["exact_fraction"].get<double>(), 1.0 / 3, 1e-12);
  EXPECT_TRUE(r["blocks"][0]["exact"].get<bool>());
  EXPECT_EQ(r["blocks"][0]["class"], 1);
  EXPECT_EQ(r["blocks"][0]["foreign"], 0);
  EXPECT_FALSE(r["blocks"][1]["exact"].get<bool>());
  EXPECT_NEAR(r["blocks"][1]["share"].get<double>(), 0.5, 1e-12);
  EXPECT_LT(r["adjusted_rand_index"].get<double>(), 1.0);
  // the last true block left in "other" with only shared tokens is recovered exactly
  const auto all = block_recovery(truth, {{10, 1}, {11, 1}, {12, 1}, {20, 2}, {21, 2}});
  EXPECT_EQ(all["exact"], 3);
  EXPECT_DOUBLE_EQ(all["adjusted_rand_index"].get<double>(), 1.0);
}

}  // namespace
}  // namespace localist
