#include "localist/hierarchy/hierarchy_eval.h"

#include <cmath>

#include "localist/blocks/rules.h"
#include "localist/core/errors.h"
#include "localist/core/setting.h"
#include "localist/hierarchy/router.h"
#include "localist/hierarchy/segments.h"
#include "localist/metrics/text_explain.h"

namespace localist {
namespace {

using Heads = std::vector<std::pair<int64_t, int64_t>>;

// The member that should serve `domain`: options.own's (the last given), else its namesake's, else
// the base.
int64_t own_member(const Hierarchy& man, const HierarchyEvalOptions& o, const std::string& domain) {
  int64_t own = man.member_for_domain(domain);
  for (const auto& [d, member] : o.own) {
    if (d != domain) continue;
    own = -1;
    for (size_t k = 0; k < man.members.size(); ++k)
      if (man.members[k].name == member) own = static_cast<int64_t>(k);
    if (own < 0)
      throw ConfigError(setting("own") + " " + d + "=" + member + ": the hierarchy has no member '" + member + "'");
  }
  return own;
}

void add_weighted(MemberAttention& a, const ExplainSummary& s, double w) {
  a.weight += w, a.entropy += w * s.entropy_bits;
  if (!std::isnan(s.block_fidelity)) a.block += w * s.block_fidelity, a.block_w += w;
  if (!std::isnan(s.pointer_fidelity)) a.pointer += w * s.pointer_fidelity, a.pointer_w += w;
}

// Each member's attention summary on the segment, weighted by its share under each routing.
void add_attention(LoadedHierarchy& h, const std::vector<BlockMap>& blocks, const Heads& heads,
                   const std::vector<int32_t>& seg, const Routed& hard, const Routed& soft, HierarchyEval& e) {
  for (size_t k = 0; k < h.models.size(); ++k) {
    const double wh = hard.share[static_cast<int64_t>(k)].item<double>();
    const double ws = soft.share[static_cast<int64_t>(k)].item<double>();
    if (wh == 0 && ws < 1e-3) continue;  // a member with no say on this segment
    auto& m = h.models[k];
    const auto x = explain_text(m.model, blocks[k], Dial::from_config(m.meta.localist), seg,
                                m.model->parameters().front().device());
    const auto sum = summarize(x, heads);
    add_weighted(e.hard_attention[k], sum, wh), add_weighted(e.soft_attention[k], sum, ws);
  }
}

// Every member's attention on a segment (its own dial and blocks), with the masses off every
// member's target blocks.
std::vector<SegmentAttention> segment_attentions(LoadedHierarchy& h, const std::vector<BlockMap>& blocks,
                                                 const std::vector<int32_t>& seg) {
  const auto device = h.models[0].model->parameters().front().device();
  const auto ids = torch::tensor(std::vector<int64_t>(seg.begin(), seg.end() - 1), torch::kLong);
  const auto x = ids.unsqueeze(0).to(device);  // (1, T): the queries of the segment's predictions
  std::vector<torch::Tensor> targets;
  for (size_t k = 0; k < h.models.size(); ++k)
    targets.push_back(target_keys(blocks[k].layout(x), h.models[k].model->cfg.causal));
  std::vector<SegmentAttention> att;
  for (size_t k = 0; k < h.models.size(); ++k) {
    auto& m = h.models[k];
    att.push_back(segment_attention(m.model, blocks[k], Dial::from_config(m.meta.localist), x, targets, k));
  }
  return att;
}

void check_options(const LoadedHierarchy& h, const std::vector<DomainTokens>& domains, const HierarchyEvalOptions& o,
                   int64_t prefix) {
  if (domains.empty()) throw ConfigError("hierarchy eval: name at least one domain");
  if (o.segment_tokens < 2) throw ConfigError(setting("segment_tokens") + " must be >= 2");
  if (prefix >= o.segment_tokens - 1)
    throw ConfigError("the routing prefix (" + std::to_string(prefix) + ") leaves no prediction of a " +
                      std::to_string(o.segment_tokens) + "-token segment to route");
  for (const auto& [d, member] : o.own) own_member(h.manifest, o, d);  // every member named exists
}

}  // namespace

std::vector<BlockMap> member_blocks(const LoadedHierarchy& h) {
  std::vector<BlockMap> blocks;
  for (const auto& m : h.models) blocks.push_back(BlockMap::from_config(m.meta.localist, *m.tokenizer));
  return blocks;
}

std::vector<std::vector<int32_t>> domain_segments(const DomainTokens& d, int64_t length, int64_t cap) {
  auto out = segments(d.ids, length, cap);
  if (out.empty()) throw DataError(d.source + " holds fewer than one " + std::to_string(length) + "-token segment");
  return out;
}

void add_totals(DomainRouting& all, const DomainRouting& d) {
  all.segments += d.segments, all.predictions += d.predictions, all.routed_right += d.routed_right;
  all.base += d.base, all.hard += d.hard, all.soft += d.soft, all.oracle += d.oracle;
  for (size_t k = 0; k < d.chosen.size() && k < all.chosen.size(); ++k) all.chosen[k] += d.chosen[k];
}

HierarchyEval evaluate_hierarchy(LoadedHierarchy& h, const std::vector<DomainTokens>& domains,
                                 const HierarchyEvalOptions& o) {
  const auto& man = h.manifest;
  HierarchyEval e;
  e.prefix = o.prefix >= 0 ? o.prefix : man.prefix;
  check_options(h, domains, o, e.prefix);
  const size_t K = h.models.size();
  for (const auto& m : man.members) e.members.push_back(m.name);
  e.segment_tokens = o.segment_tokens, e.margin_percentile = o.margin_percentile;
  e.all.domain = "all", e.all.chosen.assign(K, 0);
  if (o.attention) e.hard_attention.resize(K), e.soft_attention.resize(K);
  const auto blocks = member_blocks(h);
  const auto& cfg = h.models[0].model->cfg;  // members share a shape
  const Heads heads = every_head(cfg.n_layer, cfg.n_head);
  RoutedConcentration routed(K, o.margin_percentile);
  for (const auto& d : domains) {
    DomainRouting s;
    s.domain = d.name, s.own = own_member(man, o, d.name), s.chosen.assign(K, 0);
    for (const auto& seg : domain_segments(d, o.segment_tokens, o.max_segments)) {
      std::vector<torch::Tensor> rows;
      for (size_t k = 0; k < K; ++k) rows.push_back(segment_nll(h.models[k], blocks[k], seg));
      const auto nll = torch::stack(rows);  // (K, S-1)
      const auto hard = route_hard(nll, e.prefix), soft = route_soft(nll);
      if (o.attention) add_attention(h, blocks, heads, seg, hard, soft, e);
      if (o.bounds) routed.add_segment(segment_attentions(h, blocks, seg), {hard.weights, soft.weights});
      s.base += nll[0].sum().item<double>(), s.oracle += nll[s.own].sum().item<double>();
      s.hard += hard.nll.sum().item<double>(), s.soft += soft.nll.sum().item<double>();
      ++s.chosen[hard.chosen], ++s.segments;
      s.routed_right += hard.chosen == s.own;
      s.predictions += nll.size(1);
    }
    add_totals(e.all, s);
    e.domains.push_back(std::move(s));
  }
  if (o.bounds) e.bounds = routed.result(), e.uniform_margins = routed.uniform_margins();
  return e;
}

void override_members(LoadedHierarchy& h, const std::string& rules_file, double kappa) {
  for (auto& m : h.models) {
    if (!rules_file.empty()) {
      m.meta.localist.rules_file = rules_file;  // read anew: its errors name the line and field
      m.meta.localist.rules = nullptr;
      rules_of(m.meta.localist, *m.tokenizer, &m.meta.localist.rules);
      m.meta.localist.rules_file.clear();
    }
    if (kappa != 0) m.meta.localist = apply_setting(m.meta.localist, {std::nullopt, kappa, "", nullptr});
  }
}

}  // namespace localist
