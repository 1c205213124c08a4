// The recruitment criterion's arithmetic against hand-computed cases, p_max, and agreement scores.
#include <cmath>

#include <gtest/gtest.h>

#include "localist/core/errors.h"
#include "localist/metrics/cluster_agreement.h"
#include "localist/recruit/criterion.h"

namespace localist {
namespace {

// One block of m = 2 of the parent's M = 10 types, no anchors listed: the rule says how many move
// (ln 10), which (ln C(10, 2) = ln 45) and that they form one block (ln m = ln 2; one size, one
// way to assign them): ln 900.
RuleCode one_block(int64_t M, int64_t m) { return {M, {m}, {}}; }

TEST(RecruitCriterion, TermsByHand) {
  // k = 1000 parameters, N = 20000 tokens, V = 10 types, m = 2 of them; NLL 2.0 -> 1.9
  const auto t = recruitment_terms(1000, 20000, 10, one_block(10, 2), 2.0, 1.9, 0.01);
  const double params = 500.0 * std::log(20000.0) / 20000.0;  // (k/2) ln N / N = 0.247585...
  const double rule = std::log(900.0) / 20000.0;
  EXPECT_NEAR(t.model_params_nats, params, 1e-12);
  EXPECT_NEAR(t.model_rule_nats, rule, 1e-12);
  EXPECT_NEAR(t.delta_model, params + rule, 1e-12);
  EXPECT_NEAR(t.delta_data, -0.1, 1e-12);
  EXPECT_NEAR(t.delta_total, params + rule - 0.1, 1e-12);
  EXPECT_FALSE(t.accept);  // the head costs 0.248 nats/token; the data gains 0.1
  const auto cheap = recruitment_terms(0, 20000, 10, one_block(10, 2), 2.0, 1.9, 0.01);
  EXPECT_TRUE(cheap.accept);  // no parameters: -0.0997 < -0.01
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

// The pointer's saving pays where the likelihood does not: a block that costs 0.05 nats/token
// of held-out NLL but names where the model reads with 0.2 nats less is recruited; its interval is
// that of Delta L_data - Delta L_pointer (one bootstrap of both).
TEST(RecruitCriterion, PointerSavingJoinsTheTotal) {
  auto t = recruitment_terms(0, 100000, 50, one_block(50, 5), 3.0, 3.05, 0.001);
  EXPECT_FALSE(t.accept);
  add_pointer(t, 0.2);
  EXPECT_NEAR(t.delta_total, t.delta_model + 0.05 - 0.2, 1e-12);
  EXPECT_TRUE(t.accept);
  auto wide = t;
  require_confidence(wide, 0.01);  // the interval of Delta L_data - Delta L_pointer reaches +0.01: not sure
  EXPECT_FALSE(wide.accept);
  require_confidence(t, -0.07);
  EXPECT_NEAR(t.total_hi, t.delta_model - 0.07, 1e-12);
  EXPECT_TRUE(t.accept);
  EXPECT_THROW(add_pointer(t, NAN), ConfigError);
}

TEST(RecruitCriterion, RaisingThetaNeverAcceptsMore) {
  for (double gain : {-0.3, -0.05, -0.01, 0.0, 0.02}) {
    bool accepted_before = true;
    for (double theta : {1e-4, 1e-3, 1e-2, 0.05, 0.1, 0.5}) {
      const bool a = recruitment_terms(100, 100000, 50, one_block(50, 5), 3.0, 3.0 + gain, theta).accept;
      EXPECT_TRUE(accepted_before || !a) << "gain " << gain << " theta " << theta;
      accepted_before = a;
    }
  }
}

// Each block added must buy theta: the same gain pays for one block and not for three.
TEST(RecruitCriterion, ThetaIsPerBlockAdded) {
  const auto one = recruitment_terms(0, 10000000, 50, RuleCode{50, {6}, {}}, 3.0, 2.98, 0.01);
  const auto three = recruitment_terms(0, 10000000, 50, RuleCode{50, {1, 2, 3}, {}}, 3.0, 2.98, 0.01);
  EXPECT_NEAR(one.threshold, 0.01, 1e-15);
  EXPECT_NEAR(three.threshold, 0.03, 1e-15);
  EXPECT_TRUE(one.accept);
  EXPECT_FALSE(three.accept);
}

// p_max as the seed defines it: N the positions a query chooses among, counted in blocks.
TEST(RecruitCriterion, PMaxByHand) {
  EXPECT_EQ(max_recruitments(100, 0.5, 0.1), 42);  // ceil((ln 100 - 0.5) / 0.1) = ceil(41.05)
  EXPECT_EQ(max_recruitments(128, 0.0, 1.0), 5);   // ceil(ln 128) = ceil(4.852)
  EXPECT_EQ(max_recruitments(100, 10.0, 0.1), 0);  // H_min above ln N: nothing to gain
  EXPECT_THROW(max_recruitments(100, 0, 0), ConfigError);
  EXPECT_THROW(max_recruitments(0, 0, 0.1), ConfigError);
}

TEST(RecruitCriterion, ImpossibleInputsAreErrors) {
  EXPECT_THROW(recruitment_terms(-1, 100, 10, one_block(10, 1), 1, 1, 0.1), ConfigError);
  EXPECT_THROW(recruitment_terms(1, 1, 10, one_block(10, 1), 1, 1, 0.1), ConfigError);
  EXPECT_THROW(recruitment_terms(1, 100, 10, one_block(11, 11), 1, 1, 0.1), ConfigError);  // m > V
  EXPECT_THROW(recruitment_terms(1, 100, 10, one_block(10, 1), NAN, 1, 0.1), ConfigError);
  EXPECT_THROW(rule_code_nats(RuleCode{5, {4, 3}, {}}), ConfigError);     // more types than the parent has
  EXPECT_THROW(rule_code_nats(RuleCode{10, {2, 0}, {}}), ConfigError);    // an empty block
  EXPECT_THROW(rule_code_nats(RuleCode{10, {2, 3}, {3, 1}}), ConfigError);  // more anchors than types
  EXPECT_THROW(rule_code_nats(RuleCode{10, {2, 3}, {1}}), ConfigError);   // anchors for one block of two
}

// The rule code by hand: how many types move, which, how many blocks of which sizes, which type
// in which block with the blocks unordered, and each block's anchors.
TEST(RecruitCriterion, RuleCodeByHand) {
  const double l10 = std::log(10.0);
  // m = 6 of M = 10 into sizes 1, 2, 3: ln 10 + ln C(10, 6) + ln 6 + ln C(5, 2) + ln (6! / (1! 2! 3!)) - ln 3!
  EXPECT_NEAR(rule_code_nats({10, {1, 2, 3}, {}}),
              l10 + std::log(210.0) + std::log(6.0) + std::log(10.0) + std::log(60.0) - std::log(6.0), 1e-12);
  // blocks are unordered: the order the sizes come in changes nothing, and two blocks of 3 out
  // of 6 types are C(6, 3) / 2 = 10 partitions
  EXPECT_NEAR(rule_code_nats({10, {2, 4}, {}}), rule_code_nats({10, {4, 2}, {}}), 1e-12);
  EXPECT_NEAR(rule_code_nats({6, {3, 3}, {}}), std::log(6.0) + 0 + std::log(6.0) + std::log(5.0) + std::log(10.0), 1e-12);
  // anchors: how many of the block's m_i (ln (m_i + 1)) and which (ln C(m_i, a_i))
  EXPECT_NEAR(rule_code_nats({10, {2, 4}, {1, 2}}) - rule_code_nats({10, {2, 4}, {}}),
              std::log(3.0) + std::log(2.0) + std::log(5.0) + std::log(6.0), 1e-12);
  // a split of a listed block of 12 types is charged against its 12, not the vocabulary
  EXPECT_LT(rule_code_nats({12, {4}, {}}), rule_code_nats({5000, {4}, {}}));
  EXPECT_EQ(rule_code_nats({}), 0.0);  // no blocks: no rule (a specialist)
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
