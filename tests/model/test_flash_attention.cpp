// Flash-style localist attention (model/flash_attention.h) against the materialised reference:
// attend_causal with dial_bias's (B, 1, T, T) bias for y and the gradients, and the metrics'
// definitions (metrics/attention_metrics.h) on its probabilities for entropy, target-block and
// anchor mass, over random layouts (own, other and no targets, a shared block, anchors,
// per-query dial scales), dials (off, soft, hard) and shapes, causal and not.
// Tolerances (fp32): 2e-5 absolute on y, lse and masses, 1e-4 on bits; gradients 1e-4 relative.
// On a GPU the same cases in fp32 (1e-4) and bf16 (inputs rounded; 3e-2).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "localist/blocks/block_map.h"
#include "localist/core/errors.h"
#include "localist/model/attention.h"
#include "localist/model/dial.h"
#include "localist/model/flash_attention.h"

namespace localist {
namespace {

struct Case {
  int64_t B, H, T, D;
  double lambda, kappa;
  bool causal;
};

// A random layout: blocks in runs (so targets often have earlier keys), targets own, another
// block or none, anchors, a shared block sometimes and per-query dial scales.
BlockLayout random_layout(int64_t B, int64_t T, int64_t seed) {
  torch::manual_seed(seed);
  const int64_t K = 1 + seed % 5;
  auto block = std::get<0>(torch::randint(0, K, {B, T}, torch::kLong).sort(1));  // runs
  if (seed % 3 == 0) block = torch::randint(0, K, {B, T}, torch::kLong);          // scattered
  auto choice = torch::randint(0, 10, {B, T}, torch::kLong);
  auto other = torch::randint(0, K + 1, {B, T}, torch::kLong);  // K: a block no key holds
  auto target = torch::where(choice.lt(6), block, torch::where(choice.lt(8), other, -1));
  BlockLayout l;
  l.block = block;
  l.target = target;
  l.is_anchor = torch::rand({B, T}).lt(0.3);
  if (seed % 2 == 0) l.lambda_scale = torch::rand({B, T}) * 1.5;
  l.n_blocks = K + 1;
  l.shared_block = seed % 4 == 1 ? 0 : -1;
  return l;
}

// Per-row reference metrics from materialised probabilities p (B, H, T, T).
struct Reference {
  torch::Tensor y, lse, bits, target_mass, anchor_mass, has_target, has_anchor;
};

Reference reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                    const BlockLayout& layout, const Case& c, double scale) {
  auto bias = dial_bias(layout, Dial{c.lambda, c.kappa, 0.0}, c.causal);
  auto a = attend_causal(q.to(torch::kDouble), k.to(torch::kDouble), v.to(torch::kDouble), scale, 0.0,
                         bias.to(torch::kDouble), c.causal);
  auto in_target = target_keys(layout, c.causal).unsqueeze(1);          // (B, 1, T, T)
  auto on_anchor = in_target & layout.is_anchor.unsqueeze(1).unsqueeze(2);
  auto p = a.probs;
  auto plogp = torch::where(p > 0, p * torch::log2(p), torch::zeros_like(p));
  return {a.y, torch::logsumexp(a.logits, -1), -plogp.sum(-1), (p * in_target).sum(-1),
          (p * on_anchor).sum(-1), in_target.any(-1).squeeze(1), on_anchor.any(-1).squeeze(1)};
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& where = {}) {
  auto d = (a.to(torch::kCPU, torch::kDouble) - b.to(torch::kCPU, torch::kDouble)).abs();
  if (where.defined()) d = d * where.to(torch::kCPU, torch::kDouble);
  return d.numel() ? d.max().item<double>() : 0.0;
}

std::vector<Case> cases() {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<Case> out;
  const int64_t shapes[][4] = {{1, 1, 1, 4}, {2, 3, 9, 8}, {1, 2, 70, 16}, {2, 1, 33, 3}};
  const double dials[][2] = {{0.0, 10.0}, {0.6, 10.0}, {1.0, 4.0}, {1.0, inf}};
  for (const auto& s : shapes)
    for (const auto& d : dials)
      for (bool causal : {true, false}) out.push_back({s[0], s[1], s[2], s[3], d[0], d[1], causal});
  return out;
}

// Runs every case on a device and dtype and compares with the fp64 reference.
void check_against_reference(const torch::Device& device, torch::ScalarType type, double tol,
                             const std::vector<Case>& all) {
  int64_t seed = 0;
  for (const auto& c : all) {
    ++seed;
    SCOPED_TRACE("case " + std::to_string(seed) + ": B " + std::to_string(c.B) + " H " + std::to_string(c.H) +
                 " T " + std::to_string(c.T) + " D " + std::to_string(c.D) + " lambda " + std::to_string(c.lambda) +
                 " kappa " + std::to_string(c.kappa) + (c.causal ? " causal" : " bidirectional"));
    auto layout = random_layout(c.B, c.T, seed);
    auto q = torch::randn({c.B, c.H, c.T, c.D}).to(type), k = torch::randn({c.B, c.H, c.T, c.D}).to(type),
         v = torch::randn({c.B, c.H, c.T, c.D}).to(type);
    const double scale = 1.5 / std::sqrt(static_cast<double>(c.D));
    auto ref = reference(q.to(torch::kFloat), k.to(torch::kFloat), v.to(torch::kFloat), layout, c, scale);
    auto bias = block_bias(layout, c.lambda, c.kappa, c.causal);
    auto on = [&](BlockBias b) {
      for (auto* t : {&b.key_block, &b.target, &b.anchor, &b.penalty}) *t = t->to(device);
      return b;
    };
    auto f = flash_attention(q.to(device), k.to(device), v.to(device), on(bias), scale);
    EXPECT_TRUE(torch::equal(bias.has_target, ref.has_target));
    EXPECT_TRUE(torch::equal(bias.has_anchor, ref.has_anchor));
    EXPECT_LT(max_diff(f.y, ref.y), tol);
    EXPECT_LT(max_diff(f.lse, ref.lse), tol);
    EXPECT_LT(max_diff(f.entropy_bits, ref.bits), 5 * tol);
    EXPECT_LT(max_diff(f.target_mass, ref.target_mass, bias.has_target.unsqueeze(1)), tol);
    EXPECT_LT(max_diff(f.anchor_mass, ref.anchor_mass, bias.has_anchor.unsqueeze(1)), tol);
    EXPECT_FALSE(torch::isnan(f.y.to(torch::kFloat)).any().item<bool>());  // every element written
  }
}

TEST(FlashAttention, EqualsTheMaterialisedAttentionAndItsMetrics) {
  check_against_reference(torch::kCPU, torch::kFloat, 2e-5, cases());
}

TEST(FlashAttention, GradientsEqualAutogradThroughTheMaterialisedAttention) {
  int64_t seed = 100;
  for (const auto& c : cases()) {
    auto layout = random_layout(c.B, c.T, ++seed);
    auto q = torch::randn({c.B, c.H, c.T, c.D}, torch::kDouble).requires_grad_();
    auto k = torch::randn({c.B, c.H, c.T, c.D}, torch::kDouble).requires_grad_();
    auto v = torch::randn({c.B, c.H, c.T, c.D}, torch::kDouble).requires_grad_();
    auto dy = torch::randn({c.B, c.H, c.T, c.D}, torch::kDouble);
    const double scale = 1.0 / std::sqrt(static_cast<double>(c.D));
    auto bias = dial_bias(layout, Dial{c.lambda, c.kappa, 0.0}, c.causal).to(torch::kDouble);
    (attend_causal(q, k, v, scale, 0.0, bias, c.causal).y * dy).sum().backward();
    auto qf = q.detach().to(torch::kFloat).requires_grad_(), kf = k.detach().to(torch::kFloat).requires_grad_(),
         vf = v.detach().to(torch::kFloat).requires_grad_();
    auto y = flash_attention_autograd(qf, kf, vf, block_bias(layout, c.lambda, c.kappa, c.causal), scale);
    (y * dy.to(torch::kFloat)).sum().backward();
    for (auto [ours, ref] : {std::pair{qf, q}, std::pair{kf, k}, std::pair{vf, v}}) {
      const double norm = ref.grad().norm().item<double>();
      EXPECT_LT(max_diff(ours.grad(), ref.grad()), 1e-4 * std::max(1.0, norm)) << "seed " << seed;
    }
  }
}

TEST(FlashAttention, MetricsAtLongContextNeedNoTByTTensor) {
  // T = 2048 with one head: the materialised path would hold 2048^2 probabilities (16 MB in
  // fp32) per tensor; here every output is O(T). Checked on a subset of rows against the
  // reference of the first 256 positions (causal: a prefix sees only itself).
  const int64_t T = 2048, P = 256;
  auto layout = random_layout(1, T, 7);
  auto q = torch::randn({1, 1, T, 16}), k = torch::randn({1, 1, T, 16}), v = torch::randn({1, 1, T, 16});
  auto f = flash_attention(q, k, v, block_bias(layout, 0.6, 10.0), 0.25);
  EXPECT_EQ(f.entropy_bits.sizes(), (std::vector<int64_t>{1, 1, T}));
  using torch::indexing::Slice;
  auto pre = [&](const torch::Tensor& t) { return t.index({Slice(), Slice(0, P)}); };
  BlockLayout head{pre(layout.block), pre(layout.target), pre(layout.is_anchor),
                   layout.lambda_scale.defined() ? pre(layout.lambda_scale) : torch::Tensor(), layout.n_blocks,
                   layout.shared_block};
  auto cut = [&](const torch::Tensor& t) { return t.index({Slice(), Slice(), Slice(0, P)}); };
  auto ref = reference(cut(q), cut(k), cut(v), head, {1, 1, P, 16, 0.6, 10.0, true}, 0.25);
  EXPECT_LT(max_diff(cut(f.entropy_bits), ref.bits), 1e-4);
  EXPECT_LT(max_diff(cut(f.y), ref.y), 2e-5);
}

TEST(FlashAttention, RefusesMismatchedInputsByName) {
  auto layout = random_layout(1, 5, 2);
  auto bias = block_bias(layout, 1.0, 10.0);
  auto q = torch::randn({1, 2, 5, 8});
  EXPECT_THROW(flash_attention(q, torch::randn({1, 2, 4, 8}), q, bias, 1.0), ConfigError);
  EXPECT_THROW(flash_attention(q.to(torch::kDouble), q.to(torch::kDouble), q.to(torch::kDouble), bias, 1.0),
               ConfigError);
  auto wrong = random_layout(1, 6, 2);
  EXPECT_THROW(flash_attention(q, q, q, block_bias(wrong, 1.0, 10.0), 1.0), ConfigError);
  // the dial's numbers, as Dial::validate checks them
  EXPECT_THROW(block_bias(layout, -0.5, 10.0), ConfigError);
  EXPECT_THROW(block_bias(layout, 1.0, std::nan("")), ConfigError);
  EXPECT_THROW(block_bias(layout, 1.0, 0.0), ConfigError);
  // the backward's other inputs: a dy that would broadcast, an lse of the wrong length
  auto f = flash_attention(q, q, q, bias, 1.0);
  EXPECT_THROW(flash_attention_backward(q, q, q, bias, 1.0, f, torch::randn({1, 1, 5, 8})), ConfigError);
  auto short_lse = f;
  short_lse.lse = f.lse.narrow(2, 0, 4);
  EXPECT_THROW(flash_attention_backward(q, q, q, bias, 1.0, short_lse, torch::randn_like(q)), ConfigError);
}

TEST(FlashAttention, ARowWithEveryKeyMaskedReadsNothingInsteadOfNaN) {
  // block_bias never builds this (a hard penalty only where the target has a visible key), a
  // hand-made bias can: query 0's only key is off its target and masked
  auto q = torch::randn({1, 1, 3, 4});
  BlockBias b{torch::tensor({{0, 1, 1}}, torch::kInt), torch::tensor({{1, 1, 1}}, torch::kInt),
              torch::zeros({1, 3}, torch::kByte), torch::full({1, 3}, INFINITY), {}, {}, -1, true};
  auto f = flash_attention(q, q, q, b, 0.5);
  EXPECT_FALSE(torch::isnan(f.y).any().item<bool>());
  EXPECT_EQ(f.y[0][0][0].abs().sum().item<double>(), 0.0);
  EXPECT_EQ(f.entropy_bits[0][0][0].item<double>(), 0.0);
}

TEST(FlashAttention, CudaKernelsEqualTheReference) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  ASSERT_TRUE(flash_attention_has_cuda()) << "a CUDA LibTorch but no kernels: nvcc missing at build time";
  std::vector<Case> gpu;
  for (int64_t D : {32, 64, 128})
    for (const auto& c : cases()) gpu.push_back({c.B, c.H, c.T + 200, D, c.lambda, c.kappa, c.causal});
  check_against_reference(torch::kCUDA, torch::kFloat, 1e-4, gpu);
  check_against_reference(torch::kCUDA, torch::kBFloat16, 3e-2, gpu);
}

TEST(FlashAttention, CudaGradientsEqualTheCpuKernels) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  int64_t seed = 300;
  for (int64_t D : {32, 64, 128})
    for (const auto& c : cases()) {
      const int64_t T = c.T + 150;
      auto layout = random_layout(c.B, T, ++seed);
      auto bias = block_bias(layout, c.lambda, c.kappa, c.causal);
      auto q = torch::randn({c.B, c.H, T, D}), k = torch::randn({c.B, c.H, T, D}), v = torch::randn({c.B, c.H, T, D});
      auto dy = torch::randn({c.B, c.H, T, D});
      const double scale = 1.0 / std::sqrt(static_cast<double>(D));
      auto cpu = flash_attention_backward(q, k, v, bias, scale, flash_attention(q, k, v, bias, scale), dy);
      BlockBias gb = bias;
      for (auto* t : {&gb.key_block, &gb.target, &gb.anchor, &gb.penalty}) *t = t->cuda();
      auto qc = q.cuda(), kc = k.cuda(), vc = v.cuda();
      auto gpu = flash_attention_backward(qc, kc, vc, gb, scale, flash_attention(qc, kc, vc, gb, scale), dy.cuda());
      for (int i = 0; i < 3; ++i)
        EXPECT_LT(max_diff(gpu[i], cpu[i]), 1e-3 * std::max(1.0, cpu[i].abs().max().item<double>()))
            << "seed " << seed << " D " << D << " grad " << i;
    }
}

}  // namespace
}  // namespace localist
