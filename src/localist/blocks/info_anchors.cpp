#include "localist/blocks/info_anchors.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace localist {

std::vector<AnchorScore> info_anchors(const data::TokenFile& train, const BlockMap& blocks,
                                      int64_t context_length, const InfoAnchorOptions& opt) {
  const int64_t V = train.vocab_size();
  const int64_t windows = std::min(train.size(), opt.max_tokens) / context_length;
  std::unordered_map<uint64_t, double> joint;  // v * V + w -> follower count
  std::vector<double> followers_of(V, 0.0), marginal(V, 0.0);
  std::vector<int64_t> occurrences(V, 0), block_of(V, 0);
  std::unordered_map<uint64_t, double> block_marginal;  // block * V + w (within_block)
  std::unordered_map<int64_t, double> block_total;
  double total = 0;
  const int64_t per_batch = 64;
  for (int64_t w0 = 0; w0 < windows; w0 += per_batch) {
    const int64_t B = std::min(per_batch, windows - w0);
    auto idx = torch::from_blob(const_cast<int32_t*>(train.data()) + w0 * context_length,
                                {B, context_length}, torch::kInt)
                   .to(torch::kLong);                       // (B, T)
    auto blk = blocks.layout(idx).block.contiguous();       // (B, T)
    const int64_t* tok = idx.data_ptr<int64_t>();
    const int64_t* b = blk.data_ptr<int64_t>();
    for (int64_t r = 0; r < B; ++r)
      for (int64_t j = 0; j < context_length; ++j) {
        const int64_t i = r * context_length + j, v = tok[i];
        bool any = false;
        for (int64_t k = j + 1; k < std::min(context_length, j + 1 + opt.horizon); ++k) {
          if (b[r * context_length + k] != b[i]) continue;
          const int64_t w = tok[r * context_length + k];
          joint[static_cast<uint64_t>(v) * V + w] += 1;
          followers_of[v] += 1;
          marginal[w] += 1;
          total += 1;
          if (opt.within_block) {
            block_marginal[static_cast<uint64_t>(b[i]) * V + w] += 1;
            block_total[b[i]] += 1;
          }
          any = true;
        }
        occurrences[v] += any;
        block_of[v] = b[i];
      }
  }
  if (total == 0) return {};
  // score(v) = sum_w P(w|v) ln(P(w|v) / P(w)) with P(w|v) = (c(v,w) + prior P(w)) / (c(v) + prior).
  // Pairs never seen together all have the ratio prior / (c(v) + prior): summed in closed form.
  std::vector<double> seen_sum(V, 0.0), seen_marginal(V, 0.0);
  for (const auto& [key, c] : joint) {
    const int64_t v = static_cast<int64_t>(key / V), w = static_cast<int64_t>(key % V);
    const double pw = opt.within_block
                          ? block_marginal[static_cast<uint64_t>(block_of[v]) * V + w] / block_total[block_of[v]]
                          : marginal[w] / total;
    const double pwv = (c + opt.prior * pw) / (followers_of[v] + opt.prior);
    seen_sum[v] += pwv * std::log(pwv / pw);
    seen_marginal[v] += pw;
  }
  std::vector<AnchorScore> scores;
  for (int64_t v = 0; v < V; ++v) {
    if (occurrences[v] < opt.min_count) continue;
    const double shrink = opt.prior / (followers_of[v] + opt.prior);
    const double unseen = shrink * std::max(0.0, 1.0 - seen_marginal[v]) * std::log(shrink);
    scores.push_back({v, seen_sum[v] + unseen, occurrences[v]});
  }
  std::sort(scores.begin(), scores.end(), [](const AnchorScore& a, const AnchorScore& b) {
    return a.score_nats != b.score_nats ? a.score_nats > b.score_nats : a.token < b.token;
  });
  if (static_cast<int64_t>(scores.size()) > opt.n) scores.resize(opt.n);
  return scores;
}

}  // namespace localist
