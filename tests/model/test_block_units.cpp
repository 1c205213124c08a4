// Block-structured units (ModelConfig::block_units): each token's query and key read only its
// vocab block's unit group, so a head's W_K columns of group i are all it reads of block i's keys.
#include <gtest/gtest.h>

#include "localist/core/errors.h"
#include "localist/model/block_units.h"
#include "localist/model/gpt.h"
#include "localist/model/unit_groups.h"
#include "../tiny_model.h"

namespace localist {
namespace {

// tokens 0-3 in block 0, 4-7 in block 1 (vocab 8)
BlockMap two_blocks() {
  std::unordered_map<int64_t, int64_t> tb;
  for (int64_t v = 0; v < 8; ++v) tb[v] = v < 4 ? 0 : 1;
  return BlockMap::vocab(tb, 2);
}

TEST(BlockUnits, TableMarksEachTokensBlockGroup) {
  const auto t = block_unit_table(two_blocks(), 8, 6, 2);  // groups: units 0-2 and 3-5
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{8, 6}));
  for (int64_t v = 0; v < 8; ++v)
    for (int64_t c = 0; c < 6; ++c) EXPECT_EQ(t[v][c].item<float>(), (c < 3) == (v < 4) ? 1.0f : 0.0f) << v << "," << c;
  try {
    block_unit_table(two_blocks(), 8, 6, 3);
    FAIL() << "three groups for two blocks accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("pass block_units 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(block_unit_table(BlockMap::window(4), 8, 6, 2), ConfigError);
}

TEST(BlockUnits, KeysOfABlockAreReadOnlyThroughItsGroup) {
  torch::manual_seed(11);
  auto cfg = testing::tiny_model(8, 1, 2, 16, 12);
  cfg.block_units = 2;
  Gpt model(cfg);
  model->eval();
  const auto x = torch::tensor({0, 5, 1, 6, 2, 7, 3, 4, 4, 0, 1, 5}, torch::kLong).unsqueeze(0);
  EXPECT_THROW(model->forward(x), ConfigError);  // no table yet: refused, not silently unmasked
  wire_block_units(model, two_blocks());
  auto attn = model->layers[0]->as<Layer>()->attn;
  const int64_t W = cfg.n_embd;
  const auto g1 = unit_groups(cfg.n_embd, 2)[1];
  {  // every head's key weights on block 1's units, and the key bias, to zero
    torch::NoGradGuard no_grad;
    attn->c_attn->weight.narrow(0, W, W).narrow(1, g1.first, g1.second).zero_();
    attn->c_attn->bias.narrow(0, W, W).zero_();
  }
  std::vector<AttentionTrace> trace;
  torch::NoGradGuard no_grad;
  model->forward(x, false, {}, &trace);
  const auto logits = trace[0].logits[0];  // (H, T, T)
  for (int64_t t = 0; t < 12; ++t)
    for (int64_t j = 0; j <= t; ++j) {
      const bool block1 = x[0][j].item<int64_t>() >= 4;
      for (int64_t h = 0; h < 2; ++h) {
        const float z = logits[h][t][j].item<float>();
        if (block1) EXPECT_EQ(z, 0.0f) << "query " << t << " key " << j;  // k_j = 0
        else EXPECT_NE(z, 0.0f) << "query " << t << " key " << j;
      }
    }
  // without block units the same weights read block 1's keys through every unit
  auto plain_cfg = cfg;
  plain_cfg.block_units = 0;
  Gpt plain(plain_cfg);
  for (auto& p : plain->named_parameters()) p.value().copy_(model->named_parameters()[p.key()]);
  std::vector<AttentionTrace> plain_trace;
  plain->eval();
  plain->forward(x, false, {}, &plain_trace);
  EXPECT_NE(plain_trace[0].logits[0][0][1][1].item<float>(), 0.0f);
}

}  // namespace
}  // namespace localist
