// The attention-group penalty against hand-computed values, and its gradient's direction.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "localist/loss/attention_penalty.h"

namespace localist {
namespace {

BlockLayout layout3() {  // blocks [0, 0, 1], own-block targets
  auto block = torch::tensor({0, 0, 1}, torch::kLong).view({1, 3});
  return {block, block.clone(), torch::tensor({1, 0, 1}, torch::kBool).view({1, 3}), {}};
}

TEST(AttentionPenalty, MatchesTheFormulaByHand) {
  auto a = torch::tensor({1.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.25, 0.25, 0.5}, torch::kDouble)
               .view({1, 1, 3, 3});
  // t=0, t=1: only their own block is visible -> 0. t=2 (target block 1): off-target block 0,
  // |X_0| = 2, ||(0.25, 0.25)|| = 0.25 sqrt 2, times sqrt 2 = 0.5. Mean over 3 queries: 1/6.
  auto r = attention_group_penalty({a}, layout3(), {0.5}, 2.0);
  EXPECT_NEAR(r.item<double>(), 0.5 * 2.0 / 6.0, 1e-12);
  // Two layers average; lambda = 0 switches it off.
  EXPECT_NEAR(attention_group_penalty({a, a}, layout3(), {0.5}, 2.0).item<double>(), 1.0 / 6.0, 1e-12);
  EXPECT_EQ(attention_group_penalty({a}, layout3(), {0.0}, 2.0).item<double>(), 0.0);
}

TEST(AttentionPenalty, TheSharedBlockIsNotOffTarget) {
  auto a = torch::tensor({1.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.25, 0.25, 0.5}, torch::kDouble)
               .view({1, 1, 3, 3});
  auto l = layout3();
  l.shared_block = 0;  // block 0 readable by every query: t=2's mass on it is no longer penalised
  EXPECT_EQ(attention_group_penalty({a}, l, {0.5}, 2.0).item<double>(), 0.0);
}

TEST(AttentionPenalty, GradientPushesMassOntoTheTargetBlockAndHasNoNaN) {
  auto logits = torch::zeros({1, 1, 3, 3}, torch::kDouble).requires_grad_(true);
  auto future = torch::ones({3, 3}, torch::kBool).triu(1);
  auto a = torch::softmax(logits.masked_fill(future, -INFINITY), -1);
  auto r = attention_group_penalty({a}, layout3(), {1.0}, 1.0);
  r.backward();
  auto g = logits.grad()[0][0][2];  // query t=2: keys 0, 1 off-target, key 2 on target
  EXPECT_GT(g[0].item<double>(), 0);  // descent lowers off-target logits
  EXPECT_GT(g[1].item<double>(), 0);
  EXPECT_LT(g[2].item<double>(), 0);  // and raises the target's
  EXPECT_FALSE(torch::isnan(logits.grad()).any().item<bool>());
}

}  // namespace
}  // namespace localist

// Training with the penalty alone (no logit bias) concentrates the learned attention on the
// target blocks; measured with the dial off at inference.
#include "localist/core/temp_dir.h"
#include "localist/run/checkpoint.h"
#include "localist/train/trainer.h"
#include "tiny_run.h"

namespace localist {
namespace {

double learned_block_fidelity(double alpha_att, const std::string& dir) {
  auto r = testing::tiny_localist_run(dir);
  r.localist.alpha_att = alpha_att;
  train(r);
  return testing::tiny_run_attention(dir).block_fidelity;  // its logit bias is off: the dial too
}

TEST(AttentionPenalty, TrainingWithItConcentratesAttentionOnTheTargetBlock) {
  TempDir tmp;
  const double without = learned_block_fidelity(0.0, tmp.file("a"));
  const double with = learned_block_fidelity(1.0, tmp.file("b"));
  std::printf("block fidelity without R_att %.4f, with %.4f\n", without, with);
  EXPECT_GT(with, 0.95);
  EXPECT_GT(with, without + 0.2);
}

}  // namespace
}  // namespace localist
