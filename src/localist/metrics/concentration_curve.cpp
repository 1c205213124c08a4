#include "localist/metrics/concentration_curve.h"

#include <cmath>

#include "localist/core/errors.h"
#include "localist/core/json_text.h"
#include "localist/data/batcher.h"
#include "localist/metrics/quantile.h"
#include "localist/metrics/threshold.h"
#include "localist/model/dial.h"

namespace localist {
namespace {

// Every (layer, head, query) triple of one setting where the lemma applies (target and
// off-target keys both visible), flattened.
struct Triples {
  std::vector<float> margin, model_margin, off_mass, entropy, targets, visible;
};

// Appends v's entries where `keep` is true; v: (B, H, T), keep: (B, 1, T) bool.
void append(std::vector<float>& out, const torch::Tensor& v, const torch::Tensor& keep) {
  auto sel = v.masked_select(keep.expand_as(v)).to(torch::kFloat).contiguous();
  out.insert(out.end(), sel.data_ptr<float>(), sel.data_ptr<float>() + sel.numel());
}

void add_batch(Gpt& model, const BlockMap& blocks, const Dial& dial, const data::Batch& b,
               const torch::Device& device, Triples& t) {
  const auto x = b.x.to(device);
  const auto layout = blocks.layout(x);
  const auto biases = dial_biases(layout, dial, model->cfg.n_layer);
  std::vector<AttentionTrace> trace;
  model->forward(x, false, biases, &trace);
  const auto in_target = target_keys(layout).to(torch::kCPU);            // (B, T, T)
  const auto measured = b.y.ne(-1).to(torch::kCPU);                       // (B, T)
  for (size_t l = 0; l < trace.size(); ++l) {
    const auto logits = trace[l].logits.to(torch::kCPU), probs = trace[l].probs.to(torch::kCPU);
    const auto q = query_bounds(logits, probs, in_target);
    // the model's own margin: the same logits without the dial's (finite) bias
    const auto own = biases[l].defined() ? query_margin(logits - biases[l].to(torch::kCPU), in_target) : q.margin;
    const auto keep = (q.has_both & measured).unsqueeze(1);               // (B, 1, T)
    const auto per_head = [&](const torch::Tensor& v) { return v.unsqueeze(1).expand_as(q.margin); };
    append(t.margin, q.margin, keep);
    append(t.model_margin, own, keep);
    append(t.off_mass, q.off_mass, keep);
    append(t.entropy, q.entropy, keep);
    append(t.targets, per_head(q.targets), keep);
    append(t.visible, per_head(q.visible), keep);
  }
}

double mean(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return v.empty() ? NAN : s / static_cast<double>(v.size());
}

ConcentrationPoint summarise(const ConcentrationSetting& s, const Triples& t, double percentile) {
  ConcentrationPoint p;
  p.setting = s;
  p.queries = static_cast<int64_t>(t.margin.size());
  const double q = percentile / 100.0;
  p.margin_uniform = quantile(t.margin, q);
  p.margin_min = quantile(t.margin, 0.0);
  p.margin_median = quantile(t.margin, 0.5);
  p.model_margin_uniform = quantile(t.model_margin, q);
  p.model_margin_median = quantile(t.model_margin, 0.5);
  p.off_mass_mean = mean(t.off_mass);
  p.off_mass_max = quantile(t.off_mass, 1.0);
  p.entropy_bits_mean = mean(t.entropy) / std::log(2.0);
  if (p.queries == 0) return p;
  const auto opts = torch::TensorOptions().dtype(torch::kFloat);
  const auto n = static_cast<int64_t>(t.margin.size());
  const auto m = torch::from_blob(const_cast<float*>(t.targets.data()), {n}, opts).to(torch::kDouble);
  const auto N = torch::from_blob(const_cast<float*>(t.visible.data()), {n}, opts).to(torch::kDouble);
  const auto eps = torch::from_blob(const_cast<float*>(t.off_mass.data()), {n}, opts).to(torch::kDouble);
  const auto bound = concentration_bound(m, N, torch::full({n}, p.margin_uniform, torch::kDouble));
  p.bound_mean = bound.mean().item<double>();
  p.bound_holds = (eps <= bound + 1e-6).to(torch::kDouble).mean().item<double>();
  return p;
}

}  // namespace

LogSlope fit_log_slope(const std::vector<double>& x, const std::vector<double>& y) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int64_t n = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (!std::isfinite(x[i]) || !(y[i] > 0) || !std::isfinite(y[i])) continue;
    const double ly = std::log(y[i]);
    sx += x[i], sy += ly, sxx += x[i] * x[i], sxy += x[i] * ly, ++n;
  }
  LogSlope f;
  f.points = n;
  const double den = n * sxx - sx * sx;
  if (n < 2 || !(std::fabs(den) > 0)) return {NAN, NAN, n};
  f.slope = (n * sxy - sx * sy) / den;
  f.intercept = (sy - f.slope * sx) / n;
  return f;
}

ConcentrationCurve measure_concentration(Gpt& model, const data::TokenFile& tokens, int64_t batch_size,
                                         const torch::Device& device, int64_t max_tokens,
                                         const BlockMap& blocks, double lambda,
                                         const std::vector<ConcentrationSetting>& settings,
                                         double percentile) {
  if (!(percentile >= 0 && percentile <= 50))
    throw ConfigError("percentile = " + std::to_string(percentile) + " is impossible; expected in [0, 50]");
  for (const auto& s : settings)
    if (!(s.kappa >= 0 && std::isfinite(s.kappa)))
      throw ConfigError("kappa = " + std::to_string(s.kappa) + " is impossible here; expected a finite value >= 0 "
                        "(a hard mask leaves no model margin to measure)");
  ConcentrationCurve c;
  c.lambda = lambda;
  c.percentile = percentile;
  c.n_layer = model->cfg.n_layer;
  c.n_head = model->cfg.n_head;
  const double tau0 = model->cfg.attn_temperature;
  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  const auto batches = data::sequential_batches(tokens, batch_size, model->cfg.context_length, max_tokens);
  try {
    for (const auto& s : settings) {
      model->set_temperature(s.tau);
      const Dial dial{s.kappa > 0 ? lambda : 0.0, s.kappa > 0 ? s.kappa : 1.0, 0.0};
      Triples t;
      for (const auto& b : batches) add_batch(model, blocks, dial, b, device, t);
      c.points.push_back(summarise(s, t, percentile));
    }
  } catch (...) {
    model->set_temperature(tau0);
    throw;
  }
  model->set_temperature(tau0);
  if (was_training) model->train();
  std::vector<double> uniform, median, mass, tail_x, tail_y;
  for (const auto& p : c.points) {
    uniform.push_back(p.margin_uniform), median.push_back(p.margin_median), mass.push_back(p.off_mass_mean);
    if (p.margin_uniform > 0) tail_x.push_back(p.margin_uniform), tail_y.push_back(p.off_mass_mean);
  }
  c.slope_uniform = fit_log_slope(uniform, mass);
  c.slope_median = fit_log_slope(median, mass);
  c.slope_tail = fit_log_slope(tail_x, tail_y);
  return c;
}

nlohmann::json to_json(const ConcentrationCurve& c) {
  const auto fit = [&](const LogSlope& f) {
    return nlohmann::json{{"slope", json_number(f.slope)}, {"intercept", json_number(f.intercept)}, {"points", f.points}};
  };
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : c.points)
    points.push_back({{"kappa", p.setting.kappa}, {"tau", p.setting.tau}, {"queries", p.queries},
                      {"margin_uniform", json_number(p.margin_uniform)}, {"margin_min", json_number(p.margin_min)},
                      {"margin_median", json_number(p.margin_median)},
                      {"model_margin_uniform", json_number(p.model_margin_uniform)},
                      {"model_margin_median", json_number(p.model_margin_median)},
                      {"off_mass_mean", json_number(p.off_mass_mean)}, {"off_mass_max", json_number(p.off_mass_max)},
                      {"entropy_bits_mean", json_number(p.entropy_bits_mean)}, {"bound_mean", json_number(p.bound_mean)},
                      {"bound_holds", json_number(p.bound_holds)}});
  return {{"lambda", c.lambda}, {"percentile", c.percentile}, {"n_layer", c.n_layer}, {"n_head", c.n_head},
          {"points", points}, {"slope_uniform", fit(c.slope_uniform)}, {"slope_median", fit(c.slope_median)},
          {"slope_tail", fit(c.slope_tail)}};
}

}  // namespace localist
