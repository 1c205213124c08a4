#include "localist/recruit/confusion.h"

#include <cmath>

#include "localist/data/batcher.h"

namespace localist {

Confusion find_confused(Gpt& model, const BlockMap& blocks, int64_t n_blocks, const Dial& dial,
                        const data::TokenFile& train, int64_t batch_size, int64_t n_batches,
                        uint64_t seed, double epsilon) {
  Confusion c;
  c.confused_in_block.assign(n_blocks, 0);
  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  const auto device = model->parameters().front().device();
  const int64_t T = model->cfg.context_length;
  double entropy_sum = 0;
  for (int64_t b = 0; b < n_batches; ++b) {
    auto batch = data::random_batch(train, batch_size, T, seed, 0, b);
    auto x = batch.x.to(device);
    const auto layout = blocks.layout(x);
    auto out = model->forward(x, /*need_attn=*/true,
                              dial_biases(layout, dial, model->cfg.n_layer, model->cfg.causal));
    torch::Tensor mean_p, entropy;  // (B, T, T), (B, T)
    for (const auto& p : out.attn) {                                     // (B, H, T, T)
      auto h = -(p * torch::log(p.clamp_min(1e-30))).sum(-1).mean(1);  // (B, T) nats
      auto m = p.mean(1);
      mean_p = mean_p.defined() ? mean_p + m : m;
      entropy = entropy.defined() ? entropy + h : h;
    }
    const double L = static_cast<double>(out.attn.size());
    mean_p = mean_p / L, entropy = entropy / L;
    auto onehot = torch::one_hot(layout.block, n_blocks).to(torch::kFloat);  // (B, T, K)
    auto mass = torch::matmul(mean_p, onehot);                               // (B, T, K)
    auto top = mass.argmax(-1);                                              // (B, T) i*
    auto anchors_seen = (onehot * layout.is_anchor.unsqueeze(-1).to(torch::kFloat)).cumsum(1);
    auto n_anchors = anchors_seen.gather(-1, top.unsqueeze(-1)).squeeze(-1).clamp_min(1);
    auto confused = (entropy > torch::log(n_anchors) + epsilon).to(torch::kCPU);
    auto xs = batch.x, own = layout.block.to(torch::kCPU);
    entropy_sum += entropy.sum().item<double>();
    c.queries += entropy.numel();
    auto cf = confused.accessor<bool, 2>();
    auto xa = xs.accessor<int64_t, 2>();
    auto oa = own.accessor<int64_t, 2>();
    for (int64_t i = 0; i < cf.size(0); ++i)
      for (int64_t t = 0; t < cf.size(1); ++t) {
        c.type_block[xa[i][t]] = oa[i][t];
        if (!cf[i][t]) continue;
        ++c.confused;
        ++c.confused_in_block[oa[i][t]];
        ++c.confused_type[xa[i][t]];
      }
  }
  c.mean_entropy_nats = c.queries ? entropy_sum / static_cast<double>(c.queries) : 0;
  model->train(was_training);
  return c;
}

}  // namespace localist
