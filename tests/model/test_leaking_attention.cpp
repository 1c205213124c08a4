// The leaking (bidirectional) mode exists to reproduce protocols that let position t see token
// t+1. These tests pin down that it really leaks, and that the causal default never does.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "localist/metrics/attention_metrics.h"
#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"
#include "tiny_model.h"

namespace localist {
namespace {

// Logits at position 2 of a 6-token sequence, before and after changing token 3.
std::pair<torch::Tensor, torch::Tensor> logits_at_2(Gpt& model) {
  auto a = torch::tensor({{1, 2, 3, 4, 5, 6}}, torch::kLong);
  auto b = a.clone();
  b[0][3] = 9;
  return {model->forward(a).logits[0][2], model->forward(b).logits[0][2]};
}

TEST(LeakingAttention, BidirectionalSeesTheNextTokenCausalDoesNot) {
  torch::manual_seed(5);
  Gpt model(testing::tiny_model(11, 2, 2, 16, 8));
  model->eval();
  auto [a, b] = logits_at_2(model);
  EXPECT_TRUE(torch::equal(a, b));  // causal: the future cannot move the present
  model->set_causal(false);
  EXPECT_FALSE(model->cfg.causal);
  auto [c, d] = logits_at_2(model);
  EXPECT_GT((c - d).abs().max().item<double>(), 1e-6);  // leaking: it does
  // the materialising path agrees with the default one in leaking mode too
  auto idx = torch::tensor({{1, 2, 3, 4, 5, 6}}, torch::kLong);
  auto out = model->forward(idx, /*need_attn=*/true);
  EXPECT_TRUE(torch::allclose(out.logits, model->forward(idx).logits, 1e-5, 1e-6));
  EXPECT_GT(out.attn[0][0][0][0][5].item<double>(), 0.0);  // position 0 reads position 5
}

TEST(LeakingAttention, DialAndMetricsCoverFutureKeysWhenNotCausal) {
  auto l = BlockMap::window(2).layout(torch::zeros({1, 4}, torch::kLong));
  auto causal = dial_bias(l, {1.0, 10.0})[0][0];
  auto leaking = dial_bias(l, {1.0, 10.0}, /*causal=*/false)[0][0];
  // query 0 and key 1 share window 0: a future key the causal mask hides anyway (its bias is
  // moot), but a visible target key of the leaking model, which must not be biased
  EXPECT_FLOAT_EQ(causal[0][1].item<float>(), -10.0f);
  EXPECT_FLOAT_EQ(leaking[0][1].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(leaking[0][2].item<float>(), -10.0f);  // a visible off-target key: biased
  // uniform attention over all 4 keys: entropy 2 bits at every position, reference log2 4
  AttentionMetricsAccumulator acc(2, /*causal=*/false);
  acc.add({torch::full({1, 1, 4, 4}, 0.25, torch::kDouble)}, l);
  auto m = acc.result();
  EXPECT_NEAR(m.entropy_bits, 2.0, 1e-12);
  EXPECT_NEAR(m.max_entropy_bits, 2.0, 1e-12);
  EXPECT_NEAR(m.block_fidelity, 0.5, 1e-12);  // own window holds 2 of the 4 keys
}

}  // namespace
}  // namespace localist
