// Lemma 1 measured (metrics/concentration_curve.h): the slope fit on exact data, the
// temperature setter, and a tiny trained run swept over kappa, where the uniform margin moves
// with the dial's bias, the off-target mass falls with it at the lemma's rate, and the bound at
// the minimum margin holds for every query (a theorem: a check of the implementation).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "localist/core/errors.h"
#include "localist/core/temp_dir.h"
#include "localist/metrics/concentration_curve.h"
#include "localist/run/checkpoint.h"
#include "localist/run/run_data.h"
#include "tiny_run.h"

namespace localist {
namespace {

TEST(ConcentrationCurve, LogSlopeFitsExactExponentialsAndSkipsWhatItCannotLog) {
  std::vector<double> x{0, 1, 2, 3, NAN, 5}, y;
  for (double v : x) y.push_back(3 * std::exp(-0.7 * v));
  y.push_back(0.0), x.push_back(9);    // y <= 0: skipped
  const auto f = fit_log_slope(x, y);
  EXPECT_EQ(f.points, 5);
  EXPECT_NEAR(f.slope, -0.7, 1e-12);
  EXPECT_NEAR(f.intercept, std::log(3.0), 1e-12);
  EXPECT_TRUE(std::isnan(fit_log_slope({1}, {1}).slope));
  EXPECT_TRUE(std::isnan(fit_log_slope({2, 2}, {1, 3}).slope));  // no spread in x
}

TEST(ConcentrationCurve, TemperatureDividesTheLogits) {
  ModelConfig m;
  m.vocab_size = 11, m.n_layer = 1, m.n_head = 2, m.n_embd = 8, m.context_length = 6;
  Gpt model(m);
  model->eval();
  torch::NoGradGuard no_grad;
  auto x = torch::randint(0, 11, {2, 6}, torch::kLong);
  std::vector<AttentionTrace> t1, t2;
  model->forward(x, false, {}, &t1);
  model->set_temperature(2.0);
  model->forward(x, false, {}, &t2);
  auto finite = torch::isfinite(t1[0].logits);
  EXPECT_TRUE(torch::allclose(t2[0].logits.masked_select(finite), t1[0].logits.masked_select(finite) / 2,
                              1e-5, 1e-6));
  EXPECT_EQ(model->cfg.attn_temperature, 2.0);
  EXPECT_THROW(model->set_temperature(0), ConfigError);
}

TEST(ConcentrationCurve, KappaMovesTheUniformMarginAndTheMassFallsAtTheLemmasRate) {
  TempDir tmp("concentration");
  auto r = testing::tiny_localist_run(tmp.file("run"));
  r.localist.lambda = 0;  // trained without the dial: the bias is the only thing that localises
  r.localist.logit_bias = true;
  train(r);
  auto lm = load_model(r.run_dir, torch::kCPU);
  auto rd = checkpoint_run_data(r.run_dir, lm, lm.meta.data);
  const auto blocks = BlockMap::from_config(lm.meta.localist, *rd.tokenizer);
  const std::vector<ConcentrationSetting> settings{{0, 1}, {4, 1}, {8, 1}, {12, 1}, {16, 1}};
  const auto c = measure_concentration(lm.model, rd.valid, 8, torch::kCPU, 600, blocks, 1.0, settings, 0);
  ASSERT_EQ(c.points.size(), settings.size());
  EXPECT_EQ(lm.model->cfg.attn_temperature, 1.0);  // restored
  const auto& p0 = c.points[0];
  EXPECT_GT(p0.queries, 500);
  EXPECT_NEAR(p0.margin_uniform, p0.model_margin_uniform, 1e-6);  // no bias: the model's own margin
  for (size_t i = 1; i < c.points.size(); ++i) {
    const auto& p = c.points[i];
    EXPECT_EQ(p.queries, p0.queries);
    // one layer: the bias adds exactly kappa to every margin, the model's own is unchanged
    EXPECT_NEAR(p.margin_uniform - p0.margin_uniform, p.setting.kappa, 1e-4);
    EXPECT_NEAR(p.model_margin_uniform, p0.model_margin_uniform, 1e-4);
    EXPECT_LT(p.off_mass_mean, c.points[i - 1].off_mass_mean);
    EXPECT_DOUBLE_EQ(p.bound_holds, 1.0);  // the minimum margin: a theorem for every query
    EXPECT_LE(p.off_mass_mean, p.bound_mean + 1e-9);
  }
  // where the uniform margin (5th percentile) is positive the mass falls as e^-margin: the slope
  // tends to the lemma's -1 (measured -0.9x on this run; 0 < margin < 20 nats)
  const auto p5 = measure_concentration(lm.model, rd.valid, 8, torch::kCPU, 600, blocks, 1.0,
                                        {{0, 1}, {8, 1}, {16, 1}, {24, 1}, {32, 1}}, 5);
  ASSERT_GE(p5.slope_tail.points, 2);
  EXPECT_NEAR(p5.slope_tail.slope, -1.0, 0.15) << "fitted slope " << p5.slope_tail.slope;
  EXPECT_THROW(measure_concentration(lm.model, rd.valid, 8, torch::kCPU, 100, blocks, 1.0, {{-1, 1}}, 5), ConfigError);
  EXPECT_THROW(measure_concentration(lm.model, rd.valid, 8, torch::kCPU, 100, blocks, 1.0, {{1, 1}}, 60), ConfigError);
}

}  // namespace
}  // namespace localist
