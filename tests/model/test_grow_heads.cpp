// Growing heads for a recruited block keeps the model's function and extends AdamW consistently.
#include <gtest/gtest.h>

#include "localist/core/errors.h"
#include "localist/model/grow_heads.h"
#include "localist/train/adamw.h"
#include "tiny_model.h"

namespace localist {
namespace {

std::vector<std::pair<std::string, torch::Tensor>> named(Gpt& m) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : m->named_parameters()) out.emplace_back(p.key(), p.value());
  return out;
}

TEST(GrowHeads, FunctionUnchangedAndNewHeadsLearn) {
  torch::manual_seed(3);
  Gpt model(testing::tiny_model(17, 2, 2, 16, 12));
  auto x = torch::randint(0, 17, {3, 12}, torch::kLong);
  auto before = model->forward(x).logits;
  for (int64_t extra : {1, 2}) {
    Gpt grown = grow_heads(model, extra, 11);
    EXPECT_EQ(grown->cfg.n_head, 2 + extra);
    EXPECT_EQ(grown->cfg.head_dim(), 8);  // pinned: old heads keep their width
    auto layer = grown->layers[0]->as<Layer>();
    EXPECT_EQ(layer->attn->c_attn->weight.size(0), 3 * (2 + extra) * 8);
    auto after = grown->forward(x).logits;
    EXPECT_TRUE(torch::allclose(before, after, 1e-6, 1e-6)) << (before - after).abs().max();
    // attention probabilities of the old heads are the old ones
    auto pa = model->forward(x, true).attn[1], pb = grown->forward(x, true).attn[1];
    EXPECT_TRUE(torch::allclose(pa, pb.narrow(1, 0, 2), 1e-6, 1e-6));
    // the new heads' output columns start at zero but get a gradient: they can learn
    grown->zero_grad();
    GptImpl::loss(grown->forward(x).logits, x).backward();
    auto g = layer->attn->c_proj->weight.grad();
    EXPECT_TRUE(layer->attn->c_proj->weight.narrow(1, 16, 8 * extra).eq(0).all().item<bool>());
    EXPECT_GT(g.narrow(1, 16, 8 * extra).abs().sum().item<double>(), 0.0);
  }
}

TEST(GrowHeads, OptimizerStateExtendedWithZeros) {
  torch::manual_seed(4);
  Gpt model(testing::tiny_model(11, 1, 2, 8, 6));
  AdamW opt(named(model), {});
  auto x = torch::randint(0, 11, {2, 6}, torch::kLong);
  GptImpl::loss(model->forward(x).logits, x).backward();
  opt.step();
  Gpt grown = grow_heads(model, 1, 5);
  const auto state = grow_optimizer_state(opt.state(), model->cfg, grown->cfg);
  AdamW next(named(grown), {});
  next.load_state(state);  // shapes match the grown model
  const auto& old_q = opt.state().at("exp_avg.layers.0.attn.c_attn.weight");  // (3*2*4, 8)
  const auto& new_q = state.at("exp_avg.layers.0.attn.c_attn.weight");         // (3*3*4, 8)
  auto o = old_q.view({3, 2, 4, 8}), n = new_q.view({3, 3, 4, 8});
  EXPECT_TRUE(torch::equal(n.narrow(1, 0, 2), o));
  EXPECT_TRUE(n.narrow(1, 2, 1).eq(0).all().item<bool>());
  EXPECT_EQ(next.steps(), opt.steps());
  EXPECT_TRUE(torch::equal(state.at("exp_avg.wte.weight"), opt.state().at("exp_avg.wte.weight")));
}

TEST(GrowHeads, ConfigRoundTripsThroughJson) {
  auto c = with_extra_heads(testing::tiny_model(11, 1, 2, 8, 6), 1);
  nlohmann::json j = c;
  auto back = j.get<ModelConfig>();
  EXPECT_EQ(back.n_head, 3);
  EXPECT_EQ(back.head_size, 4);
  EXPECT_EQ(back.attn_width(), 12);
  EXPECT_THROW(with_extra_heads(c, -1), ConfigError);
}

}  // namespace
}  // namespace localist
