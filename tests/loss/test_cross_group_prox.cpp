// The weight penalty on cross-block terms (loss/cross_group_prox.h): its prox zeroes exactly the
// off-diagonal (d_head slice, unit group) blocks of W_Q / W_K and the query bias, and with block
// units that leaves every off-target key of a query with the same logit.
#include <gtest/gtest.h>

#include "localist/core/errors.h"
#include "localist/loss/cross_group_prox.h"
#include "localist/model/block_units.h"
#include "localist/model/unit_groups.h"
#include "../tiny_model.h"

namespace localist {
namespace {

TEST(CrossGroupProx, ZeroesTheCrossBlockTermsOnly) {
  torch::manual_seed(21);
  auto cfg = testing::tiny_model(8, 1, 2, 8, 12);  // d_head 4: slices {0,1}, {2,3}; unit groups {0-3}, {4-7}
  cfg.block_units = 2;
  Gpt model(cfg);
  model->eval();
  {
    torch::NoGradGuard g;  // GPT-2's init leaves the biases at zero: give them something to remove
    for (auto& p : model->parameters()) p.normal_(0.0, 0.5);
  }
  const auto before = cross_group_norms(model, 2);
  EXPECT_EQ(before.groups(), 1 * 2 * 2 * 2 + 2);  // (layer, head, Q|K) x 2 off-diagonal blocks + 2 biases
  EXPECT_EQ(before.zero_groups(), 0);
  // the penalty's value: alpha sum sqrt|G| ||block|| + sqrt(d_head) ||b_Q||
  double want = 0;
  for (int64_t h = 0; h < 2; ++h) {
    want += 2.0 * before.bias[0][h].item<double>();
    for (int64_t part = 0; part < 2; ++part)
      want += 2.0 * (before.blocks[0][h][part][0][1].item<double>() + before.blocks[0][h][part][1][0].item<double>());
  }
  EXPECT_NEAR(cross_group_penalty(model, 2, {1.0}, 0.5), 0.5 * want, 1e-9);

  cross_group_prox(model, 2, {1e3});  // a step beyond every norm: all penalised groups to zero
  const auto after = cross_group_norms(model, 2);
  EXPECT_EQ(after.zero_groups(), after.groups());
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t part = 0; part < 2; ++part)
      for (int64_t s = 0; s < 2; ++s)  // the diagonal (within-block) blocks are untouched
        EXPECT_EQ(after.blocks[0][h][part][s][s].item<double>(), before.blocks[0][h][part][s][s].item<double>());

  // with block units, a query's logits on the other block's keys are now one constant
  std::unordered_map<int64_t, int64_t> tb;
  for (int64_t v = 0; v < 8; ++v) tb[v] = v < 4 ? 0 : 1;
  wire_block_units(model, BlockMap::vocab(tb, 2));
  const auto x = torch::tensor({0, 5, 1, 6, 2, 7, 3, 4, 4, 0, 1, 5}, torch::kLong).unsqueeze(0);
  std::vector<AttentionTrace> trace;
  torch::NoGradGuard no_grad;
  model->forward(x, false, {}, &trace);
  const auto z = trace[0].logits[0];  // (H, T, T)
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t t = 0; t < 12; ++t) {
      const bool qb = x[0][t].item<int64_t>() >= 4;
      std::vector<float> off;
      for (int64_t j = 0; j <= t; ++j)
        if ((x[0][j].item<int64_t>() >= 4) != qb) off.push_back(z[h][t][j].item<float>());
      for (float v : off) EXPECT_NEAR(v, off.front(), 1e-5) << "head " << h << " query " << t;
    }
  // a head too narrow for one slice per block is refused
  auto narrow = testing::tiny_model(8, 1, 4, 8, 12);  // d_head 2 < 3 blocks
  narrow.block_units = 3;
  Gpt m3(narrow);
  EXPECT_THROW(cross_group_prox(m3, 3, {0.1}), ConfigError);
}

}  // namespace
}  // namespace localist
