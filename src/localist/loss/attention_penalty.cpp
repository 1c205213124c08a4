#include "localist/loss/attention_penalty.h"

namespace localist {

torch::Tensor attention_group_penalty(const std::vector<torch::Tensor>& probs,
                                      const BlockLayout& layout,
                                      const std::vector<double>& layer_lambda, double alpha) {
  const auto& a0 = probs.at(0);
  auto blk = layout.block.to(a0.device());                                  // (B, T)
  auto tgt = layout.target.to(a0.device());                                 // (B, T)
  const int64_t K = layout.n_blocks > 0 ? layout.n_blocks  // known on the host: no device sync
                                        : std::max(blk.max().item<int64_t>(), tgt.max().item<int64_t>()) + 1;
  auto onehot = torch::one_hot(blk, K).to(a0.scalar_type());                // (B, T, K)
  auto size = onehot.cumsum(1);                                             // |X_i(t)|: (B, T, K)
  // queries with nothing to read (no target, or its block not yet seen) are not penalised,
  // just as the dial's bias leaves them alone
  auto reads = tgt.ge(0) & size.gather(2, tgt.clamp_min(0).unsqueeze(2)).squeeze(2).gt(0);  // (B, T)
  auto key_block = torch::arange(K, blk.options()).view({1, 1, K});
  auto off_target = key_block.ne(tgt.unsqueeze(2)) & key_block.ne(layout.shared_block) &  // shared: readable
                    size.gt(0) & reads.unsqueeze(2);                        // (B, T, K)
  auto weight = (size.sqrt() * off_target).unsqueeze(1);                    // (B, 1, T, K)
  torch::Tensor total = torch::zeros({}, a0.options());
  for (size_t l = 0; l < probs.size(); ++l) {
    const auto& a = probs[l];
    const double lambda = layer_lambda.at(layer_lambda.size() == 1 ? 0 : l);
    auto sq = torch::matmul(a * a, onehot.unsqueeze(1));                    // (B, H, T, K)
    auto positive = sq.gt(0);
    // sqrt with a zero gradient at 0 (no NaN from the kink)
    auto norm = torch::where(positive, torch::where(positive, sq, torch::ones_like(sq)).sqrt(),
                             torch::zeros_like(sq));
    total = total + lambda * (norm * weight).sum(-1).mean();                // mean over B, H, T
  }
  return alpha * total / static_cast<double>(probs.size());
}

}  // namespace localist
