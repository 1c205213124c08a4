#include "localist/metrics/attention_metrics.h"

#include <cmath>

#include "localist/core/errors.h"

namespace localist {

void AttentionMetricsAccumulator::add(const std::vector<torch::Tensor>& probs,
                                      const BlockLayout& layout, const torch::Tensor& queries) {
  torch::NoGradGuard no_grad;
  const int64_t L = probs.size(), H = probs[0].size(1), B = probs[0].size(0), T = probs[0].size(2);
  if (!entropy_.defined()) start(L, H);
  auto blk = layout.block.to(torch::kCPU);        // (B, T)
  auto tgt = layout.target.to(torch::kCPU);       // (B, T)
  auto anc = layout.is_anchor.to(torch::kCPU);    // (B, T)
  auto in_target = target_keys({blk, tgt, anc, {}, layout.n_blocks, layout.shared_block}, causal_);                           // (B, T, T)
  auto on_anchor = in_target & anc.unsqueeze(1);                              // (B, T, T)
  auto measured = queries.defined() ? queries.to(torch::kCPU, torch::kBool)
                                    : torch::ones({B, T}, torch::kBool);      // (B, T)
  auto has_target = (in_target.any(-1) & measured).unsqueeze(1);             // (B, 1, T)
  auto has_anchor = (on_anchor.any(-1) & measured).unsqueeze(1);             // (B, 1, T)
  auto weight = measured.to(torch::kDouble).unsqueeze(1);                    // (B, 1, T)
  // one-hot of key blocks (B, T, K) and of query blocks, for the block-mass matrix
  auto in_range = blk.lt(k_);
  auto onehot = torch::zeros({B, T, k_}, torch::kDouble);
  onehot.scatter_(2, blk.clamp(0, k_ - 1).unsqueeze(2), in_range.unsqueeze(2).to(torch::kDouble));
  auto query_onehot = onehot * measured.to(torch::kDouble).unsqueeze(2);

  for (int64_t l = 0; l < L; ++l) {
    auto a = probs[l].detach().to(torch::kCPU, torch::kDouble);  // (B, H, T, T)
    auto plogp = torch::where(a > 0, a * torch::log2(a), torch::zeros_like(a));
    entropy_[l] += (-plogp.sum(-1) * weight).sum(std::vector<int64_t>{0, 2});  // (H)
    auto block_mass = (a * in_target.unsqueeze(1)).sum(-1);               // (B, H, T)
    auto anchor_mass = (a * on_anchor.unsqueeze(1)).sum(-1);
    block_[l] += (block_mass * has_target).sum(std::vector<int64_t>{0, 2});
    pointer_[l] += (anchor_mass * has_anchor).sum(std::vector<int64_t>{0, 2});
    // mass[q_block, k_block] summed over queries: onehot_q^T (a @ onehot_k)
    auto per_key_block = torch::matmul(a, onehot.unsqueeze(1));            // (B, H, T, K)
    mass_[l] += torch::einsum("btq,bhtk->hqk", {query_onehot, per_key_block});
  }
  mass_count_ += query_onehot.sum(std::vector<int64_t>{0, 1});
  count(measured, has_target.squeeze(1), has_anchor.squeeze(1));
}

void AttentionMetricsAccumulator::start(int64_t L, int64_t H) {
  auto z = torch::zeros({L, H}, torch::kDouble);
  entropy_ = z.clone();
  pointer_ = z.clone();
  block_ = z.clone();
  mass_ = torch::zeros({L, H, k_, k_}, torch::kDouble);
  mass_count_ = torch::zeros({k_}, torch::kDouble);
}

void AttentionMetricsAccumulator::count(const torch::Tensor& measured, const torch::Tensor& has_target,
                                        const torch::Tensor& has_anchor) {
  const int64_t T = measured.size(1);
  queries_ += measured.sum().item<int64_t>();
  block_n_ += has_target.sum().item<int64_t>();
  pointer_n_ += has_anchor.sum().item<int64_t>();
  auto per_position = measured.sum(0).to(torch::kDouble);  // (T): queries measured at t
  auto visible = causal_ ? torch::arange(1, T + 1, torch::kDouble)  // keys each query sees
                         : torch::full({T}, static_cast<double>(T), torch::kDouble);
  max_entropy_sum_ += (per_position * torch::log2(visible)).sum().item<double>();
}

void AttentionMetricsAccumulator::add_flash(const std::vector<FlashAttention>& rows, const BlockBias& bias,
                                            const torch::Tensor& queries) {
  torch::NoGradGuard no_grad;
  if (rows.empty() || !rows[0].entropy_bits.defined())
    throw ConfigError("attention metrics: no flash attention rows (was the forward run with gradients?)");
  if (bias.causal != causal_)
    throw ConfigError("attention metrics: a flash block bias of the other causal mode than the metrics'");
  const int64_t L = rows.size(), B = rows[0].entropy_bits.size(0), H = rows[0].entropy_bits.size(1),
                T = rows[0].entropy_bits.size(2);
  if (!entropy_.defined()) start(L, H);
  auto measured = queries.defined() ? queries.to(torch::kCPU, torch::kBool) : torch::ones({B, T}, torch::kBool);
  auto has_target = bias.has_target.to(torch::kCPU) & measured, has_anchor = bias.has_anchor.to(torch::kCPU) & measured;
  auto sum_over = [](const torch::Tensor& per_query, const torch::Tensor& where) {  // (B, H, T) -> (H)
    return (per_query.to(torch::kCPU, torch::kDouble) * where.to(torch::kDouble).unsqueeze(1))
        .sum(std::vector<int64_t>{0, 2});
  };
  for (int64_t l = 0; l < L; ++l) {
    entropy_[l] += sum_over(rows[l].entropy_bits, measured);
    block_[l] += sum_over(rows[l].target_mass, has_target);
    pointer_[l] += sum_over(rows[l].anchor_mass, has_anchor);
  }
  count(measured, has_target, has_anchor);
}

AttentionMetrics AttentionMetricsAccumulator::result() const {
  AttentionMetrics m;
  if (!entropy_.defined() || queries_ == 0) return m;
  m.queries = queries_;
  m.block_excluded = queries_ - block_n_;
  m.pointer_excluded = queries_ - pointer_n_;
  m.entropy_per_head = entropy_ / static_cast<double>(queries_);
  m.block_per_head = block_n_ ? block_ / static_cast<double>(block_n_) : torch::zeros_like(block_);
  m.pointer_per_head =
      pointer_n_ ? pointer_ / static_cast<double>(pointer_n_) : torch::zeros_like(pointer_);
  m.entropy_bits = m.entropy_per_head.mean().item<double>();
  m.block_fidelity = m.block_per_head.mean().item<double>();
  m.pointer_fidelity = m.pointer_per_head.mean().item<double>();
  m.max_entropy_bits = max_entropy_sum_ / static_cast<double>(queries_);
  m.block_mass = mass_ / mass_count_.clamp_min(1).view({1, 1, -1, 1});
  return m;
}

}  // namespace localist
