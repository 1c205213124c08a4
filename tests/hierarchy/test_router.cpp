// Hard and soft routing against hand-computed cases: the prefix goes to the base model and the
// rest to the posterior's choice; the mixture is Bayes' rule on the models' predictions, causal.
#include <gtest/gtest.h>

#include <cmath>

#include "localist/core/errors.h"
#include "localist/hierarchy/router.h"

namespace localist {
namespace {

torch::Tensor probs_to_nll(std::vector<std::vector<double>> p) {
  auto t = torch::zeros({static_cast<int64_t>(p.size()), static_cast<int64_t>(p[0].size())}, torch::kDouble);
  for (size_t k = 0; k < p.size(); ++k)
    for (size_t i = 0; i < p[k].size(); ++i) t[k][i] = -std::log(p[k][i]);
  return t;
}

TEST(Router, HardRoutesTheRestToThePrefixsBestModel) {
  // base, A, B on 4 predictions; after a 2-token prefix B has the highest likelihood (.5*.5)
  const auto nll = probs_to_nll({{0.2, 0.2, 0.2, 0.2}, {0.4, 0.1, 0.9, 0.9}, {0.5, 0.5, 0.1, 0.1}});
  const auto r = route_hard(nll, 2);
  EXPECT_EQ(r.chosen, 2);
  const double want[] = {-std::log(0.2), -std::log(0.2), -std::log(0.1), -std::log(0.1)};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(r.nll[i].item<double>(), want[i], 1e-12);
  // a prior can overrule the prefix: A ten times likelier a priori (.4*.1*10 > .5*.5)
  const auto prior = torch::log(torch::tensor({1.0, 10.0, 1.0}, torch::kDouble));
  EXPECT_EQ(route_hard(nll, 2, prior).chosen, 1);
  EXPECT_TRUE(torch::allclose(r.share, torch::tensor({0.5, 0.0, 0.5}, torch::kDouble)));
  // the weights behind each prediction: the prefix to the base, the rest to B
  EXPECT_TRUE(torch::equal(r.weights, torch::tensor({1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0}, torch::kDouble).view({3, 4})));
  // no prefix: the prior alone decides (uniform: the first model)
  EXPECT_EQ(route_hard(nll, 0).chosen, 0);
  EXPECT_THROW(route_hard(nll, 5), ConfigError);
}

TEST(Router, SoftIsTheCausalBayesMixture) {
  const auto nll = probs_to_nll({{0.5, 0.5, 0.5}, {0.9, 0.1, 0.8}});
  const auto r = route_soft(nll);
  // t0: weights 1/2, 1/2; t1: proportional to .5 and .9; t2: to .25 and .09
  const double p0 = 0.5 * 0.5 + 0.5 * 0.9;
  const double p1 = (0.5 * 0.5 + 0.9 * 0.1) / (0.5 + 0.9);
  const double p2 = (0.25 * 0.5 + 0.09 * 0.8) / (0.25 + 0.09);
  EXPECT_NEAR(r.nll[0].item<double>(), -std::log(p0), 1e-12);
  EXPECT_NEAR(r.nll[1].item<double>(), -std::log(p1), 1e-12);
  EXPECT_NEAR(r.nll[2].item<double>(), -std::log(p2), 1e-12);
  EXPECT_EQ(r.chosen, 0);  // .125 > .072 after the segment
  const double w0 = (0.5 + 0.5 / 1.4 + 0.25 / 0.34) / 3;  // model 0's mean weight
  EXPECT_NEAR(r.share[0].item<double>(), w0, 1e-12);
  EXPECT_NEAR(r.share.sum().item<double>(), 1.0, 1e-12);
  // the mixture's total code length is that of the Bayes average: -log sum_k prior_k prod p_k
  EXPECT_NEAR(r.nll.sum().item<double>(), -std::log(0.5 * 0.125 + 0.5 * 0.072), 1e-12);
}

TEST(Router, OneModelIsItself) {
  const auto nll = probs_to_nll({{0.3, 0.6}});
  EXPECT_TRUE(torch::allclose(route_soft(nll).nll, nll[0]));
  EXPECT_TRUE(torch::allclose(route_hard(nll, 1).nll, nll[0]));
}

}  // namespace
}  // namespace localist
