// The weight-group proximal step against the closed form of group soft-thresholding.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "localist/core/errors.h"
#include "localist/loss/weight_group_prox.h"
#include "tiny_model.h"

namespace localist {
namespace {

TEST(WeightGroupProx, UnitGroupsAreContiguousAndCoverDModel) {
  auto g = unit_groups(10, 3);
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0], (std::pair<int64_t, int64_t>{0, 4}));
  EXPECT_EQ(g[1], (std::pair<int64_t, int64_t>{4, 3}));
  EXPECT_EQ(g[2], (std::pair<int64_t, int64_t>{7, 3}));
  EXPECT_THROW(unit_groups(8, 0), ConfigError);
  EXPECT_THROW(unit_groups(8, 9), ConfigError);
}

TEST(WeightGroupProx, MatchesGroupSoftThresholding) {
  // 1 layer, 2 heads, d=4 (Dh = 2), K = 2 groups of 2 units: each group is a 2x2 block.
  torch::manual_seed(0);
  Gpt model(testing::tiny_model(5, 1, 2, 4, 4));
  auto w = model->layers[0]->as<Layer>()->attn->c_attn->weight;
  {
    torch::NoGradGuard g;
    w.fill_(0.5);  // every 2x2 group has Frobenius norm 1
    w.narrow(0, 0, 2).narrow(1, 0, 2).fill_(1.5);  // W_Q head 0 group 0: norm 3
  }
  auto v_before = w.narrow(0, 8, 4).clone();  // W_V rows are not in any group
  const double step = 0.5 / std::sqrt(2.0);    // threshold t = step * sqrt(|G|) = 0.5
  weight_group_prox(model, 2, {step});
  // norm 3 > 0.5: scaled by 1 - 0.5/3; norm 1 > 0.5: scaled by 0.5
  EXPECT_NEAR(w[0][0].item<double>(), 1.5 * (1 - 0.5 / 3), 1e-6);
  EXPECT_NEAR(w[0][2].item<double>(), 0.25, 1e-6);
  EXPECT_NEAR(w[4][3].item<double>(), 0.25, 1e-6);  // W_K head 0 group 1
  EXPECT_TRUE(torch::equal(w.narrow(0, 8, 4), v_before));
  // a second step with threshold >= every remaining norm zeroes those groups exactly
  weight_group_prox(model, 2, {0.5 / std::sqrt(2.0)});  // norms now 2.5 and 0.5 -> 0.5 zeroes
  auto norms = weight_group_norms(model, 2);
  EXPECT_NEAR(norms[0][0][0][0].item<double>(), 2.0, 1e-6);
  EXPECT_EQ(norms[0][1][1][1].item<double>(), 0.0);
  EXPECT_EQ((norms == 0).sum().item<int64_t>(), 7);  // 8 groups, all but the big one
}

TEST(WeightGroupProx, PenaltyValue) {
  Gpt model(testing::tiny_model(5, 1, 2, 4, 4));
  {
    torch::NoGradGuard g;
    model->layers[0]->as<Layer>()->attn->c_attn->weight.fill_(0.5);
  }
  // 2 heads x 2 parts x 2 groups, each norm 1, sqrt(|G|) = sqrt 2: 8 sqrt 2 * lambda * alpha
  EXPECT_NEAR(weight_group_penalty(model, 2, {0.5}, 2.0), 8 * std::sqrt(2.0), 1e-6);
}

}  // namespace
}  // namespace localist

// In training: a strong penalty drives the query/key groups to exact zeros; none without it.
#include "localist/core/temp_dir.h"
#include "localist/run/checkpoint.h"
#include "localist/train/trainer.h"
#include "tiny_run.h"

namespace localist {
namespace {

int64_t zero_groups_after_training(double alpha_w, const std::string& dir) {
  auto r = testing::tiny_localist_run(dir);
  r.localist.alpha_w = alpha_w;
  r.localist.unit_groups = 4;
  auto s = train(r);
  EXPECT_TRUE(std::isfinite(s.valid.nll));
  auto lm = load_model(dir, torch::kCPU);
  return (weight_group_norms(lm.model, 4) == 0).sum().item<int64_t>();
}

TEST(WeightGroupProx, TrainingLeavesInactiveGroupsExactlyZero) {
  TempDir tmp;
  EXPECT_EQ(zero_groups_after_training(0.0, tmp.file("a")), 0);
  EXPECT_EQ(zero_groups_after_training(3.0, tmp.file("b")), 16);  // 1 layer x 2 heads x {Q,K} x 4
}

}  // namespace
}  // namespace localist
