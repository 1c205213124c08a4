// The model's logits against a second, independent computation: the same GPT written as plain
// loops over std::vector<double> (no LibTorch ops), reading the model's weights by name.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>

#include "localist/model/gpt.h"
#include "tiny_model.h"

namespace localist {
namespace {

using Vec = std::vector<double>;
using Mat = std::vector<Vec>;  // (rows, cols)

struct Weights {
  std::map<std::string, torch::Tensor> t;
  double at(const std::string& name, int64_t i, int64_t j = -1) const {
    const auto& x = t.at(name);
    return j < 0 ? x[i].item<double>() : x[i][j].item<double>();
  }
};

// y = W x + b, W: (out, in) as torch.nn.Linear stores it
Vec linear(const Weights& w, const std::string& name, const Vec& x, bool bias = true) {
  const auto& W = w.t.at(name + ".weight");
  auto acc = W.accessor<double, 2>();
  Vec y(W.size(0), 0.0);
  for (int64_t o = 0; o < W.size(0); ++o) {
    double s = bias ? w.at(name + ".bias", o) : 0.0;
    for (int64_t i = 0; i < W.size(1); ++i) s += acc[o][i] * x[i];
    y[o] = s;
  }
  return y;
}

Vec layernorm(const Weights& w, const std::string& name, const Vec& x) {
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= x.size();
  for (double v : x) var += (v - mean) * (v - mean);
  var /= x.size();
  Vec y(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    y[i] = (x[i] - mean) / std::sqrt(var + 1e-5) * w.at(name + ".weight", i) + w.at(name + ".bias", i);
  return y;
}

Mat reference_logits(const Weights& w, const ModelConfig& c, const std::vector<int64_t>& idx) {
  const int64_t T = idx.size(), C = c.n_embd, H = c.n_head, D = C / H;
  Mat x(T, Vec(C));
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < C; ++i) x[t][i] = w.at("wte.weight", idx[t], i) + w.at("wpe.weight", t, i);
  for (int64_t l = 0; l < c.n_layer; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    Mat qkv(T);
    for (int64_t t = 0; t < T; ++t) qkv[t] = linear(w, p + "attn.c_attn", layernorm(w, p + "ln_1", x[t]));
    Mat att_out(T, Vec(C, 0.0));
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < T; ++t) {
        Vec s(t + 1);
        double mx = -1e300;
        for (int64_t j = 0; j <= t; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < D; ++d) dot += qkv[t][h * D + d] * qkv[j][C + h * D + d];
          s[j] = dot / (c.attn_temperature * std::sqrt(static_cast<double>(D)));
          mx = std::max(mx, s[j]);
        }
        double z = 0;
        for (auto& v : s) z += (v = std::exp(v - mx));
        for (int64_t j = 0; j <= t; ++j)
          for (int64_t d = 0; d < D; ++d) att_out[t][h * D + d] += s[j] / z * qkv[j][2 * C + h * D + d];
      }
    for (int64_t t = 0; t < T; ++t) {
      auto a = linear(w, p + "attn.c_proj", att_out[t]);
      for (int64_t i = 0; i < C; ++i) x[t][i] += a[i];
      auto hdn = linear(w, p + "mlp.c_fc", layernorm(w, p + "ln_2", x[t]));
      for (auto& v : hdn) v = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
      auto m = linear(w, p + "mlp.c_proj", hdn);
      for (int64_t i = 0; i < C; ++i) x[t][i] += m[i];
    }
  }
  Mat logits(T);
  for (int64_t t = 0; t < T; ++t) {
    auto hx = layernorm(w, "ln_f", x[t]);
    logits[t] = c.tie_weights ? linear(w, "wte", hx, false) : linear(w, "lm_head", hx, false);
  }
  return logits;
}

void compare(bool tied) {
  ModelConfig c = testing::tiny_model(13, 2, 2, 8, 6);
  c.tie_weights = tied;
  c.attn_temperature = 1.5;
  torch::manual_seed(7);
  Gpt model(c);
  model->to(torch::kDouble);
  model->eval();
  {  // LayerNorm starts at (1, 0): perturb so the test exercises its weights too
    torch::NoGradGuard g;
    for (auto& p : model->named_parameters())
      if (p.key().find("ln_") != std::string::npos) p.value().add_(torch::randn_like(p.value()) * 0.1);
  }
  Weights w;
  for (const auto& p : model->named_parameters()) w.t[p.key()] = p.value().detach().clone();
  std::vector<int64_t> idx = {3, 0, 12, 7, 7, 1};
  auto logits = model->forward(torch::tensor(idx).unsqueeze(0)).logits[0];
  auto ref = reference_logits(w, c, idx);
  double worst = 0;
  for (int64_t t = 0; t < 6; ++t)
    for (int64_t v = 0; v < 13; ++v) worst = std::max(worst, std::abs(ref[t][v] - logits[t][v].item<double>()));
  std::printf("largest |logit - reference| (tied=%d): %.3g\n", tied, worst);
  EXPECT_LT(worst, 1e-10);
}

TEST(GptReference, LogitsMatchPlainLoopsTiedHead) { compare(true); }
TEST(GptReference, LogitsMatchPlainLoopsUntiedHead) { compare(false); }

TEST(GptReference, ImpossibleConfigIsRejected) {
  ModelConfig c;
  c.vocab_size = 10;
  c.n_embd = 10;
  c.n_head = 4;
  EXPECT_THROW(Gpt{c}, std::exception);
}

}  // namespace
}  // namespace localist
