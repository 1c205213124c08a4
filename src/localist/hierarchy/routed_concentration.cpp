#include "localist/hierarchy/routed_concentration.h"

#include <cmath>
#include <limits>

#include "localist/core/errors.h"
#include "localist/metrics/quantile.h"
#include "localist/metrics/threshold.h"

namespace localist {

SegmentAttention segment_attention(Gpt& model, const BlockMap& blocks, const Dial& dial, const torch::Tensor& x,
                                   const std::vector<torch::Tensor>& targets, size_t self) {
  torch::NoGradGuard no_grad;
  const int64_t L = model->cfg.n_layer, T = x.size(1);
  std::vector<AttentionTrace> trace;
  model->forward(x, false, dial_biases(blocks, x, dial, model->cfg), &trace);
  const auto visible = torch::ones({T, T}, torch::kBool).tril();
  SegmentAttention s;
  s.off_mass = torch::zeros({static_cast<int64_t>(targets.size()), T}, torch::kDouble);
  std::vector<torch::Tensor> margins;
  const auto own = query_bounds(trace[0].logits, trace[0].probs, targets[self]);  // m, N: any layer
  s.targets = own.targets[0];
  s.has_both = own.has_both[0];
  for (int64_t l = 0; l < L; ++l) {
    const auto p = trace[l].probs.to(torch::kCPU, torch::kDouble)[0];               // (H, T, T)
    for (size_t j = 0; j < targets.size(); ++j) {
      const auto off = visible & ~targets[j].to(torch::kCPU, torch::kBool)[0];      // (T, T)
      s.off_mass[j] += (p * off).sum(-1).mean(0) / static_cast<double>(L);          // (T)
    }
    const auto m = query_margin(trace[l].logits, targets[self])[0];                 // (H, T)
    margins.push_back(m.masked_select(s.has_both.unsqueeze(0).expand_as(m)).to(torch::kFloat));
  }
  s.margins = torch::cat(margins);
  return s;
}

RoutedConcentration::RoutedConcentration(size_t members, double percentile)
    : K_(members), percentile_(percentile), margins_(members) {
  if (!(percentile >= 0 && percentile <= 50))
    throw ConfigError("margin percentile = " + std::to_string(percentile) + " is impossible; expected in [0, 50]");
}

void RoutedConcentration::add_segment(const std::vector<SegmentAttention>& att,
                                      const std::vector<torch::Tensor>& weights) {
  if (att.size() != K_) throw ConfigError("routed concentration: one attention per member expected");
  for (size_t k = 0; k < K_; ++k) {
    const auto m = att[k].margins.contiguous();
    margins_[k].insert(margins_[k].end(), m.data_ptr<float>(), m.data_ptr<float>() + m.numel());
  }
  if (queries_.size() < weights.size()) queries_.resize(weights.size());
  for (size_t r = 0; r < weights.size(); ++r) {
    const auto w = weights[r].to(torch::kCPU, torch::kDouble);  // (K, T)
    const auto khat = w.argmax(0);                               // (T)
    for (int64_t t = 0; t < w.size(1); ++t) {
      const int64_t k = khat[t].item<int64_t>();
      if (!att[k].has_both[t].item<bool>()) continue;  // the bound is defined for khat's blocks only
      double eps = 0;
      for (size_t j = 0; j < K_; ++j) eps += w[j][t].item<double>() * att[j].off_mass[k][t].item<double>();
      queries_[r].push_back({static_cast<float>(eps), static_cast<float>(att[k].targets[t].item<double>()),
                             static_cast<float>(t + 1), static_cast<float>(w[k][t].item<double>()), k});
    }
  }
}

std::vector<double> RoutedConcentration::uniform_margins() const {
  std::vector<double> d;
  for (const auto& m : margins_) d.push_back(quantile(m, percentile_ / 100.0));
  return d;
}

std::vector<std::vector<RoutedBoundCheck>> RoutedConcentration::result() const {
  const auto delta = uniform_margins();
  std::vector<std::vector<RoutedBoundCheck>> out;
  for (const auto& qs : queries_) {
    std::vector<RoutedBoundCheck> per(K_);
    for (const auto& q : qs) {
      const double b = concentration_bound(torch::tensor(double{q.m}), torch::tensor(double{q.n}),
                                           torch::tensor(delta[q.member])).item<double>();
      const double mixed = q.w * b + (1.0 - q.w);
      auto& c = per[q.member];
      ++c.queries;
      c.weight += q.w, c.off_mass += q.eps, c.bound += b, c.mixed_bound += mixed;
      c.within += q.eps <= b + 1e-6, c.within_mixed += q.eps <= mixed + 1e-6;
    }
    for (auto& c : per)
      if (c.queries)
        for (double* v : {&c.weight, &c.off_mass, &c.bound, &c.within, &c.mixed_bound, &c.within_mixed})
          *v /= static_cast<double>(c.queries);
    out.push_back(per);
  }
  return out;
}

nlohmann::json to_json(const RoutedBoundCheck& c) {
  const auto num = [&](double v) { return c.queries ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"queries", c.queries}, {"weight", num(c.weight)}, {"off_target_mass", num(c.off_mass)},
          {"bound", num(c.bound)}, {"within_bound", num(c.within)}, {"mixed_bound", num(c.mixed_bound)},
          {"within_mixed_bound", num(c.within_mixed)}};
}

}  // namespace localist
