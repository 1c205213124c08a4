// The recruitment criterion's arithmetic against hand-computed cases, p_max, and agreement scores.
#include <cmath>

#include <gtest/gtest.h>

#include "localist/core/errors.h"
#include "localist/metrics/cluster_agreement.h"
#include "localist/recruit/criterion.h"

namespace localist {
namespace {

TEST(RecruitCriterion, TermsByHand) {
  // k = 1000 parameters, N = 20000 tokens, V = 10 types, m = 2 of them; NLL 2.0 -> 1.9
  const auto t = recruitment_terms(1000, 20000, 10, 2, 2.0, 1.9, 0.01);
  const double params = 500.0 * std::log(20000.0) / 20000.0;  // (k/2) ln N / N = 0.247585...
  const double rule = std::log(45.0) / 20000.0;                // ln C(10, 2) / N
  EXPECT_NEAR(t.model_params_nats, params, 1e-12);
  EXPECT_NEAR(t.model_rule_nats, rule, 1e-12);
  EXPECT_NEAR(t.delta_model, params + rule, 1e-12);
  EXPECT_NEAR(t.delta_data, -0.1, 1e-12);
  EXPECT_NEAR(t.delta_total, params + rule - 0.1, 1e-12);
  EXPECT_FALSE(t.accept);  // the head costs 0.248 nats/token; the data gains 0.1
  const auto cheap = recruitment_terms(0, 20000, 10, 2, 2.0, 1.9, 0.01);
  EXPECT_TRUE(cheap.accept);  // no parameters: -0.0998 < -0.01
  EXPECT_NEAR(cheap.delta_total, rule - 0.1, 1e-12);
  // a gain the held-out windows cannot tell from none is not taken: the interval's upper end
  auto unsure = cheap;
  require_confidence(unsure, -rule + 1e-6);  // Delta L_data's 95 % interval reaches above -rule
  EXPECT_NEAR(unsure.total_hi, 1e-6, 1e-12);
  EXPECT_FALSE(unsure.confident);
  EXPECT_FALSE(unsure.accept);
  auto sure = cheap;
  require_confidence(sure, -0.05);
  EXPECT_TRUE(sure.accept);
  auto no_gain = t;  // an interval never turns a reject into an accept
  require_confidence(no_gain, -1.0);
  EXPECT_FALSE(no_gain.accept);
  EXPECT_THROW(require_confidence(sure, NAN), ConfigError);
}

TEST(RecruitCriterion, RaisingThetaNeverAcceptsMore) {
  for (double gain : {-0.3, -0.05, -0.01, 0.0, 0.02}) {
    bool accepted_before = true;
    for (double theta : {1e-4, 1e-3, 1e-2, 0.05, 0.1, 0.5}) {
      const bool a = recruitment_terms(100, 100000, 50, 5, 3.0, 3.0 + gain, theta).accept;
      EXPECT_TRUE(accepted_before || !a) << "gain " << gain << " theta " << theta;
      accepted_before = a;
    }
  }
}

TEST(RecruitCriterion, PMaxByHand) {
  EXPECT_EQ(max_recruitments(100, 0.5, 0.1), 42);  // ceil((ln 100 - 0.5) / 0.1) = ceil(41.05)
  EXPECT_EQ(max_recruitments(100, 0.0, 1.0), 5);   // ceil(4.605)
  EXPECT_EQ(max_recruitments(100, 10.0, 0.1), 0);  // H_min above ln V: nothing to gain
  EXPECT_THROW(max_recruitments(100, 0, 0), ConfigError);
}

TEST(RecruitCriterion, ImpossibleInputsAreErrors) {
  EXPECT_THROW(recruitment_terms(-1, 100, 10, 1, 1, 1, 0.1), ConfigError);
  EXPECT_THROW(recruitment_terms(1, 1, 10, 1, 1, 1, 0.1), ConfigError);
  EXPECT_THROW(recruitment_terms(1, 100, 10, 11, 1, 1, 0.1), ConfigError);
  EXPECT_THROW(recruitment_terms(1, 100, 10, 1, NAN, 1, 0.1), ConfigError);
  EXPECT_THROW(recruitment_terms(1, 100, 10, 6, 1, 1, 0.1, {1, 2}), ConfigError);  // sizes must sum to m
}

// Several blocks at once: the rule says which m of V types move (ln C(V, m)) and which of them
// form each block (ln 6! / (1! 2! 3!) = ln 60), by hand.
TEST(RecruitCriterion, SeveralBlocksPayForWhichTypesFormEach) {
  const double N = 20000;
  const auto t = recruitment_terms(0, 20000, 10, 6, 2.0, 1.9, 0.01, {1, 2, 3});
  EXPECT_NEAR(t.model_rule_nats, (std::log(210.0) + std::log(60.0)) / N, 1e-12);  // C(10, 6) = 210
  const auto two = recruitment_terms(0, 20000, 10, 6, 2.0, 1.9, 0.01, {2, 4});
  EXPECT_NEAR(two.model_rule_nats, (std::log(210.0) + std::log(15.0)) / N, 1e-12);  // C(6, 2) = 15
  EXPECT_NEAR(recruitment_terms(0, 20000, 10, 6, 2.0, 1.9, 0.01).model_rule_nats, std::log(210.0) / N, 1e-12);
}

TEST(RecruitCriterion, ThetaRatioMustLieIn50To200) {
  EXPECT_NO_THROW(check_theta_ratio(0.1, 0.001));   // 100
  EXPECT_NO_THROW(check_theta_ratio(0.05, 0.001));  // 50, the edge
  EXPECT_NO_THROW(check_theta_ratio(0.2, 0.001));   // 200, the edge
  EXPECT_THROW(check_theta_ratio(0.0499, 0.001), ConfigError);
  EXPECT_THROW(check_theta_ratio(0.2001, 0.001), ConfigError);
  EXPECT_THROW(check_theta_ratio(0.1, 0), ConfigError);
  try {
    check_theta_ratio(1, 0.001);
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("outside [50, 200]"), std::string::npos) << e.what();
  }
}

TEST(ClusterAgreement, KnownValues) {
  // scikit-learn's documented example: ARI([0,0,0,1,1,1], [0,0,1,1,2,2]) = 0.2424...
  EXPECT_NEAR(adjusted_rand_index({0, 0, 0, 1, 1, 1}, {0, 0, 1, 1, 2, 2}), 8.0 / 33.0, 1e-12);
  EXPECT_DOUBLE_EQ(adjusted_rand_index({0, 0, 1, 1}, {5, 5, 3, 3}), 1.0);  // labels are names
  EXPECT_NEAR(adjusted_rand_index({0, 0, 1, 1}, {0, 1, 0, 1}), -0.5, 1e-12);
  EXPECT_DOUBLE_EQ(purity({0, 0, 0, 1, 1, 1}, {0, 0, 1, 1, 2, 2}), 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(purity({0, 0, 1, 1}, {0, 0, 0, 0}), 0.5);
  EXPECT_THROW(purity({0}, {0, 1}), ConfigError);
}

}  // namespace
}  // namespace localist
