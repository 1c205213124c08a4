// The localist objective on one batch (loss/localist_loss.h): cross-entropy under the dial's bias,
// plus the attention-group penalty, checked against a direct computation and a hand value.
#include <gtest/gtest.h>

#include "localist/loss/localist_loss.h"

namespace localist {
namespace {

Gpt tiny(int64_t n_layer, int64_t n_head, int64_t context) {
  torch::manual_seed(11);
  ModelConfig c;
  c.vocab_size = 9, c.n_layer = n_layer, c.n_head = n_head, c.n_embd = 8, c.context_length = context;
  return Gpt(c);
}

torch::Tensor ce_of(const torch::Tensor& logits, const torch::Tensor& y) {
  return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), y.reshape({-1}));
}

TEST(LocalistLoss, WithoutTheDialItIsTheCrossEntropy) {
  auto model = tiny(2, 2, 6);
  auto x = torch::randint(0, 9, {3, 6}), y = torch::randint(0, 9, {3, 6});
  const auto l = localist_loss(model, x, y, LocalistObjective{});
  EXPECT_NEAR(l.ce.item<double>(), ce_of(model->forward(x).logits, y).item<double>(), 1e-6);
  EXPECT_FALSE(l.r_att.defined());
  EXPECT_EQ(l.total().item<double>(), l.ce.item<double>());
}

TEST(LocalistLoss, TheDialsBiasEntersTheLogits) {
  auto model = tiny(2, 2, 6);
  auto x = torch::randint(0, 9, {3, 6}), y = torch::randint(0, 9, {3, 6});
  const auto blocks = BlockMap::window(2);
  const Dial dial{1.0, 10.0, 0.0};
  const auto l = localist_loss(model, x, y, {&blocks, dial, {1.0}, 0.0});
  const auto biased = model->forward(x, false, dial_biases(blocks.layout(x), dial, 2, true)).logits;
  EXPECT_NEAR(l.ce.item<double>(), ce_of(biased, y).item<double>(), 1e-6);
  EXPECT_GT(std::abs(l.ce.item<double>() - ce_of(model->forward(x).logits, y).item<double>()), 1e-4);
}

// Uniform attention (zero query/key/value weights), one layer and head, T = 4, blocks of 2:
// queries 2 and 3 (block 1) put 1/3 and 1/4 on each of positions 0, 1 (block 0), so
//   R_att = alpha * mean_t sqrt(2) * ||a_t[{0,1}]||_2 = alpha * (0 + 0 + 2/3 + 1/2) / 4.
TEST(LocalistLoss, ThePenaltyEqualsAHandValueAndIsLinearInAlpha) {
  auto model = tiny(1, 1, 4);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters())
      if (p.key().find("c_attn") != std::string::npos) p.value().zero_();
  }
  auto x = torch::randint(0, 9, {2, 4}), y = torch::randint(0, 9, {2, 4});
  const auto blocks = BlockMap::window(2);
  const auto l = localist_loss(model, x, y, {&blocks, Dial{}, {1.0}, 0.6});
  ASSERT_TRUE(l.r_att.defined());
  EXPECT_NEAR(l.r_att.item<double>(), 0.6 * (2.0 / 3 + 0.5) / 4, 1e-6);
  EXPECT_NEAR(l.total().item<double>(), l.ce.item<double>() + l.r_att.item<double>(), 1e-6);
  const auto doubled = localist_loss(model, x, y, {&blocks, Dial{}, {1.0}, 1.2});
  EXPECT_NEAR(doubled.r_att.item<double>(), 2 * l.r_att.item<double>(), 1e-6);
  const auto one_block = BlockMap::window(4);  // nothing off target: no penalty
  EXPECT_NEAR(localist_loss(model, x, y, {&one_block, Dial{}, {1.0}, 0.6}).r_att.item<double>(), 0.0, 1e-9);
}

TEST(LocalistLoss, ThePenaltyHasAGradientTowardTheTargetBlock) {
  auto model = tiny(1, 2, 6);
  auto x = torch::randint(0, 9, {2, 6}), y = torch::randint(0, 9, {2, 6});
  const auto blocks = BlockMap::window(3);
  auto l = localist_loss(model, x, y, {&blocks, Dial{}, {1.0}, 1.0});
  l.r_att.backward();
  double query_key_grad = 0;
  for (auto& p : model->named_parameters())
    if (p.key().find("c_attn.weight") != std::string::npos) query_key_grad += p.value().grad().abs().sum().item<double>();
  EXPECT_GT(query_key_grad, 0.0);
}

}  // namespace
}  // namespace localist
