// The fused attention path (scaled_dot_product_attention, the dial's bias as its additive mask)
// against the materialising path (explicit softmax, what metrics and explain read), on random
// models and inputs of many shapes, dial settings and both causal modes. Tolerance: 2e-5
// absolute on fp32 logits (the two paths sum in different orders).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"
#include "tiny_model.h"

namespace localist {
namespace {

struct Shape {
  int64_t batch, context, heads, width;
};

TEST(FusedAttention, MatchesTheMaterialisedPathAcrossShapesAndDials) {
  const double inf = std::numeric_limits<double>::infinity();
  const Shape shapes[] = {{1, 1, 1, 8}, {2, 7, 2, 16}, {3, 33, 4, 32}, {2, 64, 4, 64}};
  const Dial dials[] = {{0.0, 10.0, 0.0}, {0.5, 10.0, 0.0}, {1.0, 10.0, 0.0}, {1.0, inf, 0.0}, {0.7, 3.0, 1.0}};
  int64_t seed = 0;
  for (const auto& s : shapes) {
    for (const bool causal : {true, false}) {
      torch::manual_seed(++seed);
      auto cfg = testing::tiny_model(50, 2, s.heads, s.width, s.context);
      cfg.causal = causal;
      Gpt model(cfg);
      model->eval();
      torch::NoGradGuard no_grad;
      auto idx = torch::randint(0, 50, {s.batch, s.context}, torch::kLong);
      const auto layout = BlockMap::window(5).layout(idx);
      for (const auto& dial : dials) {
        const auto bias = dial_biases(layout, dial, cfg.n_layer, causal);
        const auto fused = model->forward(idx, /*need_attn=*/false, bias).logits;
        const auto plain = model->forward(idx, /*need_attn=*/true, bias).logits;
        ASSERT_FALSE(torch::isnan(fused).any().item<bool>());
        EXPECT_LT((fused - plain).abs().max().item<double>(), 2e-5)
            << "B " << s.batch << " T " << s.context << " H " << s.heads << " C " << s.width << " causal "
            << causal << " lambda " << dial.lambda << " kappa " << dial.kappa;
      }
    }
  }
}

}  // namespace
}  // namespace localist
