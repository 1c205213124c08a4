#include <gtest/gtest.h>

#include "localist/train/lambda_schedule.h"

namespace localist {
namespace {

TEST(LambdaSchedule, RampRisesLinearlyThenHolds) {
  LocalistConfig c;
  c.lambda = 0.6;
  EXPECT_DOUBLE_EQ(lambda_at_step(c, 0), 0.6);  // constant by default
  c.lambda_ramp = 4;
  EXPECT_DOUBLE_EQ(lambda_at_step(c, 0), 0.15);
  EXPECT_DOUBLE_EQ(lambda_at_step(c, 1), 0.3);
  EXPECT_DOUBLE_EQ(lambda_at_step(c, 3), 0.6);
  EXPECT_DOUBLE_EQ(lambda_at_step(c, 100), 0.6);
}

}  // namespace
}  // namespace localist
