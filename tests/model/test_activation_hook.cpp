// Hook points: a reading hook sees every activation by name and changes nothing; a patched
// attention pattern changes the logits exactly as the forward computed by hand says; a patch of
// the wrong shape is an error naming its point.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>

#include "localist/core/errors.h"
#include "localist/model/gpt.h"
#include "tiny_model.h"

namespace localist {
namespace {

TEST(ActivationHook, AReadingHookSeesEveryPointAndChangesNothing) {
  torch::manual_seed(1);
  Gpt model(testing::tiny_model(13, 2, 2, 16, 8));
  model->eval();
  const auto idx = torch::randint(13, {3, 7}, torch::kLong);
  const auto plain = model->forward(idx).logits;
  std::map<std::string, std::vector<int64_t>> seen;
  model->set_hook([&](const std::string& name, const torch::Tensor& x) {
    seen[name] = x.sizes().vec();
    return x;
  });
  const auto hooked = model->forward(idx).logits;
  model->set_hook({});
  EXPECT_TRUE(torch::allclose(hooked, plain, 1e-5, 1e-6));
  const std::vector<int64_t> btc{3, 7, 16}, bhtt{3, 2, 7, 7}, bthd{3, 7, 2, 8};  // TransformerLens' layouts
  for (const std::string l : {"0", "1"}) {
    EXPECT_EQ(seen.at("blocks." + l + ".hook_resid_pre"), btc);
    EXPECT_EQ(seen.at("blocks." + l + ".attn.hook_attn_scores"), bhtt);
    EXPECT_EQ(seen.at("blocks." + l + ".attn.hook_pattern"), bhtt);
    EXPECT_EQ(seen.at("blocks." + l + ".attn.hook_z"), bthd);
    EXPECT_EQ(seen.at("blocks." + l + ".hook_attn_out"), btc);
    EXPECT_EQ(seen.at("blocks." + l + ".hook_mlp_out"), btc);
    EXPECT_EQ(seen.at("blocks." + l + ".hook_resid_post"), btc);
  }
  EXPECT_EQ(seen.at("ln_final.hook_normalized"), btc);
  EXPECT_EQ(seen.size(), 15u);
}

TEST(ActivationHook, APatchedPatternGivesTheLogitsOfTheForwardByHand) {
  torch::manual_seed(2);
  Gpt model(testing::tiny_model(11, 1, 2, 16, 8));
  model->eval();
  torch::NoGradGuard no_grad;
  const int64_t T = 5;
  const auto idx = torch::randint(11, {1, T}, torch::kLong);
  // every query of every head reads the first key alone
  model->set_hook([](const std::string& name, const torch::Tensor& p) {
    if (name != "blocks.0.attn.hook_pattern") return p;
    auto q = torch::zeros_like(p);
    q.select(-1, 0).fill_(1.0);
    return q;
  });
  const auto patched = model->forward(idx).logits[0];  // (T, V)
  model->set_hook({});
  // by hand: each position's attention output is c_proj of the first position's values
  auto layer = model->layers[0]->as<Layer>();
  const auto x = model->wte(idx[0]) + model->wpe(torch::arange(T));                    // (T, C)
  const auto v0 = layer->attn->c_attn(layer->ln_1(x)).narrow(-1, 32, 16)[0];           // (C)
  const auto h = x + layer->attn->c_proj(v0).unsqueeze(0);                              // (T, C)
  const auto out = model->ln_f(h + layer->mlp(layer->ln_2(h)));
  const auto by_hand = torch::matmul(out, model->wte->weight.t());                      // (T, V)
  EXPECT_TRUE(torch::allclose(patched, by_hand, 1e-5, 1e-5)) << (patched - by_hand).abs().max();
  EXPECT_FALSE(torch::allclose(patched, model->forward(idx).logits[0], 1e-3, 1e-3));  // it did change them
}

TEST(ActivationHook, APatchOfAnotherShapeNamesItsPoint) {
  Gpt model(testing::tiny_model(11, 1, 2, 16, 8));
  model->set_hook([](const std::string& name, const torch::Tensor& x) {
    return name == "blocks.0.attn.hook_z" ? x.narrow(-1, 0, 2) : x;
  });
  try {
    model->forward(torch::zeros({1, 4}, torch::kLong));
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("hook blocks.0.attn.hook_z"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace localist
