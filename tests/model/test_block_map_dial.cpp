// Block maps, anchors, and the dial's logit bias acting on a real (untrained) model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "localist/core/errors.h"
#include "localist/metrics/attention_metrics.h"
#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"
#include "tiny_model.h"

namespace localist {
namespace {

TEST(BlockMap, WindowBlocksAndAnchors) {
  auto l = BlockMap::parse("window:3").layout(torch::zeros({2, 7}, torch::kLong));
  EXPECT_TRUE(torch::equal(l.block[1], torch::tensor({0, 0, 0, 1, 1, 1, 2}, torch::kLong)));
  EXPECT_TRUE(torch::equal(l.is_anchor[0], torch::tensor({1, 0, 0, 1, 0, 0, 1}, torch::kBool)));
  EXPECT_TRUE(torch::equal(l.target, l.block));
}

TEST(BlockMap, SegmentBoundaryClosesItsBlock) {
  const int64_t eos = 9;
  auto idx = torch::tensor(std::vector<int64_t>{4, 5, eos, 6, eos, eos, 7}).view({1, 7});
  auto l = BlockMap::segment({eos}).layout(idx);
  EXPECT_TRUE(torch::equal(l.block[0], torch::tensor({0, 0, 0, 1, 1, 2, 3}, torch::kLong)));
}

TEST(BlockMap, VocabClassesWithUnlistedTokensInBlockZero) {
  auto l = BlockMap::vocab({{1, 1}, {2, 2}}, 3).layout(torch::tensor({{1, 1, 2, 5, 1}}, torch::kLong));
  EXPECT_TRUE(torch::equal(l.block[0], torch::tensor({1, 1, 2, 0, 1}, torch::kLong)));
  EXPECT_TRUE(torch::equal(l.is_anchor[0], torch::tensor({1, 0, 1, 1, 1}, torch::kBool)));
}

TEST(BlockMap, BadSpecsAreClearErrors) {
  EXPECT_THROW(BlockMap::parse("window:0"), ConfigError);
  EXPECT_THROW(BlockMap::parse("window:x"), ConfigError);
  EXPECT_THROW(BlockMap::parse("blocks"), ConfigError);
  EXPECT_THROW(BlockMap::vocab({{1, 3}}, 3), ConfigError);  // block 3 does not exist
  EXPECT_THROW(dial_bias(BlockMap::window(2).layout(torch::zeros({1, 4}, torch::kLong)), {1.5, 10}),
               ConfigError);
}

// An untrained model in eval mode, a random batch and its window:4 layout.
struct RandomCase {
  Gpt model{nullptr};
  torch::Tensor idx;
  BlockLayout l;
};
RandomCase random_case(uint64_t seed, int64_t n_layer, int64_t batch, int64_t T) {
  torch::manual_seed(seed);
  RandomCase c{Gpt(testing::tiny_model(31, n_layer, 2, 16, T)), {}, {}};
  c.model->eval();
  c.idx = torch::randint(0, 31, {batch, T}, torch::kLong);
  c.l = BlockMap::window(4).layout(c.idx);
  return c;
}

AttentionMetrics measure(Gpt& model, const torch::Tensor& idx, const BlockLayout& l, const Dial& d) {
  AttentionMetricsAccumulator acc(8);
  auto out = model->forward(idx, /*need_attn=*/true, dial_biases(l, d, model->cfg.n_layer));
  acc.add(out.attn, l);
  return acc.result();
}

TEST(Dial, HardMaskLeavesNoOffTargetMass) {
  auto [model, idx, l] = random_case(0, 2, 3, 32);
  auto m = measure(model, idx, l, {1.0, std::numeric_limits<double>::infinity()});
  EXPECT_NEAR(m.block_fidelity, 1.0, 1e-6);
  EXPECT_EQ(m.block_excluded, 0);
}

TEST(Dial, RaisingLambdaLowersEntropyAndRaisesFidelity) {
  auto [model, idx, l] = random_case(1, 2, 4, 32);
  double last_entropy = 1e9, last_block = -1, last_pointer = -1;
  for (double lambda : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    auto m = measure(model, idx, l, {lambda, 10.0});
    EXPECT_LT(m.entropy_bits, last_entropy) << "lambda " << lambda;
    EXPECT_GT(m.block_fidelity, last_block) << "lambda " << lambda;
    EXPECT_GT(m.pointer_fidelity, last_pointer) << "lambda " << lambda;
    last_entropy = m.entropy_bits;
    last_block = m.block_fidelity;
    last_pointer = m.pointer_fidelity;
  }
  EXPECT_GT(last_block, 0.99);  // kappa = 10 nats leaves at most ~e^-10 per off-target key
}

TEST(Dial, ZeroLambdaIsOrdinaryAttention) {
  auto [model, idx, l] = random_case(2, 1, 2, 16);
  auto plain = model->forward(idx).logits;
  auto dialled = model->forward(idx, false, {dial_bias(l, {0.0, 10.0})}).logits;
  EXPECT_TRUE(torch::allclose(plain, dialled, 1e-6, 1e-6));
  auto hard0 = model->forward(idx, false, {dial_bias(l, {0.0, std::numeric_limits<double>::infinity()})}).logits;
  EXPECT_TRUE(torch::allclose(plain, hard0, 1e-6, 1e-6));
  EXPECT_FALSE(torch::isnan(hard0).any().item<bool>());
}

}  // namespace
}  // namespace localist

namespace localist {
namespace {

TEST(Dial, ProgressiveScheduleGivesEachLayerItsLambda) {
  Dial d{0.8, 10.0, 2.0};  // lambda_l = 0.8 (l / 2)^2 for 3 layers
  auto lambdas = d.layer_lambdas(3);
  EXPECT_DOUBLE_EQ(lambdas[0], 0.0);
  EXPECT_DOUBLE_EQ(lambdas[1], 0.2);
  EXPECT_DOUBLE_EQ(lambdas[2], 0.8);
  EXPECT_EQ((Dial{0.8, 10.0, 0.0}.layer_lambdas(3)), (std::vector<double>{0.8, 0.8, 0.8}));
  EXPECT_EQ(d.layer_lambdas(1), (std::vector<double>{0.8}));
  auto l = BlockMap::window(2).layout(torch::zeros({1, 4}, torch::kLong));
  auto biases = dial_biases(l, d, 3);
  EXPECT_FALSE(biases[0].defined());                                // layer 0: no bias at all
  EXPECT_FLOAT_EQ(biases[1][0][0][2][0].item<float>(), -2.0f);      // -0.2 * 10
  EXPECT_FLOAT_EQ(biases[2][0][0][2][0].item<float>(), -8.0f);      // -0.8 * 10
}

TEST(Dial, PerLayerBiasActsOnlyWhereItIsGiven) {
  auto [model, idx, l] = random_case(3, 2, 2, 16);
  auto hard = dial_bias(l, {1.0, std::numeric_limits<double>::infinity()});
  auto out = model->forward(idx, true, {torch::Tensor(), hard});  // layer 1 only
  AttentionMetricsAccumulator first(4), second(4);
  first.add({out.attn[0]}, l);
  second.add({out.attn[1]}, l);
  EXPECT_LT(first.result().block_fidelity, 0.9);
  EXPECT_NEAR(second.result().block_fidelity, 1.0, 1e-6);
  EXPECT_THROW(model->forward(idx, false, {hard, hard, hard}), ConfigError);  // 3 for 2 layers
}

}  // namespace
}  // namespace localist
