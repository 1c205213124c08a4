#include "localist/hierarchy/distributed_router.h"

#include "localist/core/errors.h"

namespace localist {

Routed route_hard_across(Distributed& dist, LoadedHierarchy& h, const std::vector<BlockMap>& blocks,
                         const std::vector<int32_t>& segment, int64_t prefix) {
  const int64_t K = static_cast<int64_t>(h.models.size()), T = static_cast<int64_t>(segment.size()) - 1;
  if (prefix < 1 || prefix >= T)
    throw ConfigError("routing prefix " + std::to_string(prefix) + " must lie in [1, " + std::to_string(T - 1) +
                      "] for a segment of " + std::to_string(T + 1) + " tokens");
  const int world = dist.world_size(), rank = dist.rank();
  // 1. the prefix, scored by every member where it lives
  const std::vector<int32_t> head(segment.begin(), segment.begin() + prefix + 1);
  auto prefix_nll = torch::zeros({K, prefix}, torch::kDouble);
  for (int64_t k = 0; k < K; ++k)
    if (owner_rank(k, world) == rank) prefix_nll[k] = segment_nll(h.models[k], blocks[k], head);
  prefix_nll = dist.sum(prefix_nll);
  // 2. the router's decision, the same on every rank
  const int64_t chosen = route_hard(prefix_nll, prefix).chosen;
  // 3. the rest of the segment, scored only where the chosen member lives
  auto rest = torch::zeros({T - prefix}, torch::kDouble);
  if (owner_rank(chosen, world) == rank)
    rest = segment_nll(h.models[chosen], blocks[chosen], segment).narrow(0, prefix, T - prefix);
  rest = dist.sum(rest);
  // what route_hard reads: every member's prefix, and the rest where the chosen one predicted it
  auto scored = torch::zeros({K, T}, torch::kDouble);
  scored.narrow(1, 0, prefix).copy_(prefix_nll);
  scored[chosen].narrow(0, prefix, T - prefix).copy_(rest);
  return route_hard(scored, prefix);
}

DistributedEval evaluate_across(Distributed& dist, LoadedHierarchy& h, const std::vector<DomainTokens>& domains,
                                int64_t segment_tokens, int64_t max_segments, int64_t prefix) {
  if (segment_tokens < 3) throw ConfigError(setting("segment_tokens") + " must be >= 3");
  DistributedEval e;
  e.ranks = dist.world_size(), e.segment_tokens = segment_tokens;
  e.prefix = prefix >= 0 ? prefix : h.manifest.prefix;
  for (const auto& m : h.manifest.members) e.members.push_back(m.name);
  const auto blocks = member_blocks(h);
  e.scored_by_rank.assign(e.ranks, 0);
  e.all.domain = "all";
  for (const auto& d : domains) {
    DomainRouting s;
    s.domain = d.name, s.own = h.manifest.member_for_domain(d.name);
    for (const auto& seg : domain_segments(d, segment_tokens, max_segments)) {
      const auto r = route_hard_across(dist, h, blocks, seg, e.prefix);
      s.hard += r.nll.sum().item<double>(), s.predictions += r.nll.size(0);
      s.routed_right += r.chosen == s.own, ++s.segments;
      ++e.scored_by_rank[owner_rank(r.chosen, e.ranks)];
    }
    add_totals(e.all, s);
    e.domains.push_back(std::move(s));
  }
  return e;
}

}  // namespace localist
