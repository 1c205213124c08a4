#include <algorithm>

#include <gtest/gtest.h>

#include "localist/core/errors.h"

#include "localist/train/lambda_schedule.h"
#include "localist/train/step.h"

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

TEST(LambdaSchedule, SampledLambdaIsUniformInTheRangeAndRepeatable) {
  LocalistConfig c;
  c.lambda = 0.6;  // the inference default; ignored by the sampled steps
  c.lambda_sample = "0.2:0.8";
  double sum = 0, lo = 1, hi = 0;
  int below_half = 0;
  const int n = 4000;
  for (int s = 0; s < n; ++s) {
    const double l = lambda_at_step(c, s, 7);
    ASSERT_GE(l, 0.2);
    ASSERT_LE(l, 0.8);
    EXPECT_EQ(l, lambda_at_step(c, s, 7));  // a function of (seed, step): resume and ranks agree
    sum += l, lo = std::min(lo, l), hi = std::max(hi, l), below_half += l < 0.5;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.01);               // mean of U[0.2, 0.8]; sd of the mean 0.0027
  EXPECT_NEAR(below_half / double(n), 0.5, 0.03);
  EXPECT_LT(lo, 0.21);                           // the whole range is reached
  EXPECT_GT(hi, 0.79);
  EXPECT_NE(lambda_at_step(c, 0, 7), lambda_at_step(c, 0, 8));  // another seed, other draws
  c.lambda_sample = "0.4:0.4";
  EXPECT_DOUBLE_EQ(lambda_at_step(c, 3, 1), 0.4);
  c.lambda_sample = "0:1";
  c.lambda_ramp = 10;  // the ramp scales the drawn lambda
  const double drawn = [&] { auto d = c; d.lambda_ramp = 0; return lambda_at_step(d, 4, 1); }();
  EXPECT_DOUBLE_EQ(lambda_at_step(c, 4, 1), drawn * 0.5);
}

TEST(LambdaSchedule, PenaltiesAreOnWhenASampledStepCanHaveTheDialOn) {
  LocalistConfig c;
  c.lambda = 0;  // the inference default off, yet steps draw lambda up to 1
  c.lambda_sample = "0:1";
  c.alpha_w = 2;
  EXPECT_DOUBLE_EQ(highest_training_lambda(c), 1.0);
  EXPECT_DOUBLE_EQ(StepSettings::of_run(TrainConfig{}, c).alpha_w, 2.0);
  c.lambda_sample = "0:0";  // every step at lambda 0: the weight penalty stays off
  EXPECT_DOUBLE_EQ(StepSettings::of_run(TrainConfig{}, c).alpha_w, 0.0);
  c.lambda_sample.clear();
  c.lambda = 0.3;
  EXPECT_DOUBLE_EQ(highest_training_lambda(c), 0.3);
}

TEST(LambdaSchedule, RangeParsingRefusesWhatIsNotARange) {
  EXPECT_EQ(parse_lambda_range("0:1"), std::make_pair(0.0, 1.0));
  EXPECT_EQ(parse_lambda_range("0.25:0.75"), std::make_pair(0.25, 0.75));
  for (const char* bad : {"", "0", "1:0", "-0.1:1", "0:1.5", "a:b", "0:1x", "nan:1", "0:1:2", ":1"})
    EXPECT_FALSE(parse_lambda_range(bad).has_value()) << bad;
  LocalistConfig c;
  c.lambda_sample = "0:2";
  try {
    c.validate();
    FAIL() << "0:2 accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("lambda_sample"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace localist
