#include "localist/metrics/attention_explain.h"

#include <limits>

namespace localist {
namespace {

// The layout's key sets for every query of the one sequence, on the CPU.
struct KeySets {
  torch::Tensor in_target;       // (T, T) bool: j in X_b(t)(t)
  torch::Tensor on_anchor;       // (T, T) bool: j in A_b(t)(t)
  torch::Tensor visible_anchor;  // (T, T) bool: j <= t and j is an anchor (any block)
  torch::Tensor block_onehot;    // (T, K) double: key j in block i
  torch::Tensor block;           // (T) int64
};

KeySets key_sets(const BlockLayout& layout) {
  BlockLayout l{layout.block.to(torch::kCPU), layout.target.to(torch::kCPU),
                layout.is_anchor.to(torch::kCPU), {}, layout.n_blocks, layout.shared_block};
  KeySets s;
  s.block = l.block[0].contiguous();
  const int64_t T = s.block.size(0);
  const auto anchor = l.is_anchor[0];                                         // (T)
  s.in_target = target_keys(l)[0];                                            // (T, T)
  s.on_anchor = s.in_target & anchor.unsqueeze(0);
  s.visible_anchor = torch::ones({T, T}, torch::kBool).tril() & anchor.unsqueeze(0);
  const int64_t K = T ? s.block.max().item<int64_t>() + 1 : 1;
  s.block_onehot = torch::zeros({T, K}, torch::kDouble);
  s.block_onehot.scatter_(1, s.block.unsqueeze(1), 1.0);
  return s;
}

// a: (N, T, T) double, N distributions per query (heads, or 1 for the mean) -> [n][t].
// entropy: (N, T) bits to report (the mean's is given, not recomputed).
std::vector<std::vector<HeadExplanation>> explain_rows(const torch::Tensor& a, const KeySets& s,
                                                       const torch::Tensor& entropy) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto per_block = torch::matmul(a, s.block_onehot);                          // (N, T, K)
  auto top_block = per_block.argmax(-1);                                      // (N, T), first on ties
  auto top_block_mass = per_block.gather(-1, top_block.unsqueeze(-1)).squeeze(-1);
  auto target = (a * s.in_target).sum(-1);                                    // (N, T)
  target = target.masked_fill(~s.in_target.any(-1), nan);
  auto anchor_mass = (a * s.on_anchor).sum(-1);
  anchor_mass = anchor_mass.masked_fill(~s.on_anchor.any(-1), nan);
  // -1 below any probability: argmax picks the largest visible anchor, the earliest on ties
  auto top_anchor = a.masked_fill(~s.visible_anchor, -1.0).argmax(-1);        // (N, T)
  auto top_anchor_mass = a.gather(-1, top_anchor.unsqueeze(-1)).squeeze(-1);
  auto has_anchor = s.visible_anchor.any(-1);                                 // (T)

  const int64_t N = a.size(0), T = a.size(1);
  auto tb = top_block.accessor<int64_t, 2>();
  auto tbm = top_block_mass.accessor<double, 2>();
  auto tm = target.accessor<double, 2>();
  auto ta = top_anchor.accessor<int64_t, 2>();
  auto tam = top_anchor_mass.accessor<double, 2>();
  auto am = anchor_mass.accessor<double, 2>();
  auto h = entropy.accessor<double, 2>();
  auto blk = s.block.accessor<int64_t, 1>();
  auto has = has_anchor.accessor<bool, 1>();
  std::vector<std::vector<HeadExplanation>> out(N, std::vector<HeadExplanation>(T));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t t = 0; t < T; ++t) {
      auto& e = out[n][t];
      e.top_block = tb[n][t];
      e.top_block_mass = tbm[n][t];
      e.target_mass = tm[n][t];
      if (has[t]) {
        e.top_anchor = ta[n][t];
        e.top_anchor_block = blk[e.top_anchor];
        e.top_anchor_mass = tam[n][t];
      }
      e.target_anchor_mass = am[n][t];
      e.entropy_bits = h[n][t];
    }
  return out;
}

torch::Tensor entropy_bits(const torch::Tensor& a) {  // (N, T, T) -> (N, T)
  return torch::where(a > 0, -a * torch::log2(a), torch::zeros_like(a)).sum(-1);
}

}  // namespace

std::vector<TokenExplanation> explain_attention(const std::vector<torch::Tensor>& probs,
                                                const BlockLayout& layout) {
  torch::NoGradGuard no_grad;
  const auto s = key_sets(layout);
  const int64_t L = probs.size(), T = s.block.size(0);
  std::vector<TokenExplanation> out(T);
  auto tgt = layout.target.to(torch::kCPU)[0].contiguous();
  for (int64_t t = 0; t < T; ++t) {
    out[t].position = t;
    out[t].block = s.block[t].item<int64_t>();
    out[t].target = tgt[t].item<int64_t>();
    out[t].heads.resize(L);
  }
  if (L == 0) return out;
  auto sum = torch::zeros({T, T}, torch::kDouble);
  auto entropy_sum = torch::zeros({T}, torch::kDouble);
  int64_t n_heads = 0;
  for (int64_t l = 0; l < L; ++l) {
    auto a = probs[l].detach().to(torch::kCPU, torch::kDouble)[0];            // (H, T, T)
    auto h = entropy_bits(a);                                                 // (H, T)
    auto rows = explain_rows(a, s, h);
    for (int64_t t = 0; t < T; ++t)
      for (auto& head : rows) out[t].heads[l].push_back(head[t]);
    sum += a.sum(0);
    entropy_sum += h.sum(0);
    n_heads += a.size(0);
  }
  auto mean = (sum / n_heads).unsqueeze(0);                                   // (1, T, T)
  auto mean_rows = explain_rows(mean, s, (entropy_sum / n_heads).unsqueeze(0));
  for (int64_t t = 0; t < T; ++t) out[t].mean = mean_rows[0][t];
  return out;
}

}  // namespace localist
