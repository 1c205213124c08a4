#include "localist/report/hierarchy_eval_json.h"

#include <cmath>

namespace localist {
namespace {

using json = nlohmann::json;

json perplexities(const DomainRouting& d) {
  const double n = static_cast<double>(d.predictions);
  return {{"segments", d.segments},
          {"ppl_base", std::exp(d.base / n)},
          {"ppl_hard", std::exp(d.hard / n)},
          {"ppl_soft", std::exp(d.soft / n)},
          {"ppl_oracle", std::exp(d.oracle / n)},
          {"routing_accuracy", static_cast<double>(d.routed_right) / static_cast<double>(d.segments)}};
}

json attention_json(const MemberAttention& a) {
  auto mean = [](double x, double w) { return w > 0 ? json(x / w) : json(nullptr); };
  return {{"predictions_share", a.weight}, {"attention_entropy_bits", mean(a.entropy, a.weight)},
          {"block_fidelity", mean(a.block, a.block_w)}, {"pointer_fidelity", mean(a.pointer, a.pointer_w)}};
}

// A margin: "inf" where a hard mask leaves no off-target logit (as kappa is written).
json margin_json(double d) {
  if (std::isnan(d)) return nullptr;
  return std::isinf(d) ? json(d > 0 ? "inf" : "-inf") : json(d);
}

}  // namespace

json to_json(const HierarchyEval& e, const std::string& dir) {
  json out = {{"hierarchy", dir}, {"members", e.members}, {"routing_prefix", e.prefix},
              {"segment_tokens", e.segment_tokens}, {"domains", json::array()}};
  for (const auto& d : e.domains) {
    json row = perplexities(d), chosen = json::object();
    for (size_t k = 0; k < e.members.size(); ++k) chosen[e.members[k]] = d.chosen[k];
    row.update({{"domain", d.domain}, {"own_model", e.members[d.own]}, {"predictions", d.predictions},
                {"hard_routed_to", chosen}});
    out["domains"].push_back(row);
  }
  out["all"] = perplexities(e.all);
  out["all"]["hard_minus_soft_nats"] = (e.all.hard - e.all.soft) / static_cast<double>(e.all.predictions);
  if (!e.hard_attention.empty()) {
    out["attention"] = json::object();
    for (size_t k = 0; k < e.members.size(); ++k)
      out["attention"][e.members[k]] = {{"hard", attention_json(e.hard_attention[k])},
                                        {"soft", attention_json(e.soft_attention[k])}};
  }
  if (!e.bounds.empty()) {
    json b = {{"margin_percentile", e.margin_percentile}, {"members", json::object()}};
    for (size_t k = 0; k < e.members.size(); ++k)
      b["members"][e.members[k]] = {{"uniform_margin", margin_json(e.uniform_margins[k])},
                                    {"hard", to_json(e.bounds[0][k])}, {"soft", to_json(e.bounds[1][k])}};
    out["bounds"] = b;
  }
  return out;
}

json to_json(const DistributedEval& e, const std::string& dir) {
  json out = {{"hierarchy", dir}, {"ranks", e.ranks}, {"members", e.members}, {"routing_prefix", e.prefix},
              {"segment_tokens", e.segment_tokens}, {"placement", json::object()}, {"domains", json::array()},
              {"segments_scored_by_rank", e.scored_by_rank}};
  for (size_t k = 0; k < e.members.size(); ++k) out["placement"][e.members[k]] = owner_rank(static_cast<int64_t>(k), e.ranks);
  const auto hard = [](const DomainRouting& d) {
    return json{{"segments", d.segments}, {"ppl_hard", std::exp(d.hard / static_cast<double>(d.predictions))},
                {"routing_accuracy", static_cast<double>(d.routed_right) / static_cast<double>(d.segments)}};
  };
  for (const auto& d : e.domains) {
    json row = hard(d);
    row.update({{"domain", d.domain}, {"own_model", e.members[d.own]}, {"predictions", d.predictions}});
    out["domains"].push_back(row);
  }
  out["all"] = hard(e.all);
  return out;
}

}  // namespace localist
