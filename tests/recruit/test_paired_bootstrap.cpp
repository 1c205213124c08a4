// The paired block bootstrap behind Delta L_data's interval (recruit/paired_bootstrap.h): the mean
// is the mean difference; a constant difference has a zero-width interval; noise gives an
// interval around the mean whose width shrinks as the windows grow in number (about 1/sqrt(n)).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "localist/recruit/paired_bootstrap.h"

namespace localist {
namespace {

TEST(PairedBootstrap, IntervalAroundTheMeanShrinkingWithMoreWindows) {
  std::vector<float> with(1000, 2.5f), without(1000, 2.0f);
  auto c = paired_bootstrap(with, without, 64);
  EXPECT_NEAR(c.mean, 0.5, 1e-6);
  EXPECT_NEAR(c.lo, 0.5, 1e-6);
  EXPECT_NEAR(c.hi, 0.5, 1e-6);
  EXPECT_EQ(c.windows, 16);  // 15 of 64 and one of 40

  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  auto width = [&](int64_t n) {
    std::vector<float> a(n), b(n);
    for (int64_t i = 0; i < n; ++i) a[i] = 0.1f + noise(rng), b[i] = 0.0f;
    const auto r = paired_bootstrap(a, b, 10, 2000, 0.95, 7);
    EXPECT_LT(r.lo, r.mean);
    EXPECT_GT(r.hi, r.mean);
    return r.hi - r.lo;
  };
  const double w1 = width(4000), w4 = width(64000);  // 16x the windows: about a quarter of the width
  EXPECT_NEAR(w1, 2 * 1.96 / std::sqrt(4000.0), 0.25 * w1);  // the normal theory width of a mean of N(0.1, 1)
  EXPECT_NEAR(w4 / w1, 0.25, 0.06);
}

}  // namespace
}  // namespace localist
