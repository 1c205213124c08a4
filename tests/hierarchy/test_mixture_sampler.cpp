// Sampling a soft hierarchy's gated mixture: one sure member is that member's own sampling; two
// copies of one model are that model; the weights follow Bayes' rule on each drawn token.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "localist/hierarchy/mixture_sampler.h"
#include "tiny_model.h"

namespace localist {
namespace {

struct TwoModels {
  Gpt a{nullptr}, b{nullptr};
  TwoModels() {
    torch::manual_seed(3);
    a = Gpt(testing::tiny_model(11, 1, 2, 16, 8));
    torch::manual_seed(4);
    b = Gpt(testing::tiny_model(11, 1, 2, 16, 8));
    a->eval(), b->eval();
  }
  std::vector<MixtureMember> members() { return {{&a, nullptr, {}}, {&b, nullptr, {}}}; }
};

TEST(MixtureSampler, ASureMemberSamplesAsItselfAndTwinsAsOne) {
  TwoModels m;
  SampleOptions opt;
  opt.max_new_tokens = 12;  // past the context: cropped as sample() crops
  opt.temperature = 0;
  const std::vector<int32_t> prompt{1, 2, 3};
  EXPECT_EQ(sample_mixture(m.members(), prompt, {0.0, -1e6}, opt, torch::kCPU), sample(m.a, prompt, opt, torch::kCPU));
  EXPECT_EQ(sample_mixture(m.members(), prompt, {-1e6, 0.0}, opt, torch::kCPU), sample(m.b, prompt, opt, torch::kCPU));
  std::vector<MixtureMember> twins{{&m.a, nullptr, {}}, {&m.a, nullptr, {}}};
  opt.temperature = 1, opt.seed = 9;
  EXPECT_EQ(sample_mixture(twins, prompt, {0.0, 0.0}, opt, torch::kCPU), sample(m.a, prompt, opt, torch::kCPU));
}

TEST(MixtureSampler, TheWeightsFollowBayesRuleAndMixTheDistribution) {
  TwoModels m;
  SampleOptions opt;
  opt.max_new_tokens = 6;
  opt.temperature = 1, opt.seed = 2;
  const std::vector<int32_t> prompt{4, 5};
  std::vector<int32_t> seen = prompt;
  std::vector<double> expected{std::log(0.7), std::log(0.3)};  // a prior of 0.7 / 0.3
  int64_t calls = 0;
  sample_mixture(m.members(), prompt, expected, opt, torch::kCPU,
                 [&](int32_t next, const torch::Tensor& probs, const std::vector<double>& w) {
                   // by hand: w_k proportional to prior_k * prod p_k(tokens drawn so far)
                   const double z = std::exp(expected[0]) + std::exp(expected[1]);
                   EXPECT_NEAR(w[0], std::exp(expected[0]) / z, 1e-9);
                   EXPECT_NEAR(w[1], std::exp(expected[1]) / z, 1e-9);
                   const auto pa = torch::softmax(next_token_logits(m.a, seen, opt, torch::kCPU).to(torch::kDouble), -1);
                   const auto pb = torch::softmax(next_token_logits(m.b, seen, opt, torch::kCPU).to(torch::kDouble), -1);
                   const auto mix = pa * w[0] + pb * w[1];
                   EXPECT_TRUE(torch::allclose(probs.to(torch::kDouble), mix, 1e-5, 1e-6));
                   expected[0] += std::log(pa[next].item<double>());
                   expected[1] += std::log(pb[next].item<double>());
                   seen.push_back(next);
                   ++calls;
                   return true;
                 });
  EXPECT_EQ(calls, 6);
}

TEST(MixtureSampler, RefusesAPriorThatDoesNotMatchTheMembers) {
  TwoModels m;
  EXPECT_ANY_THROW(sample_mixture(m.members(), {1}, {0.0}, {}, torch::kCPU));
  EXPECT_ANY_THROW(sample_mixture({}, {1}, {}, {}, torch::kCPU));
}

}  // namespace
}  // namespace localist
