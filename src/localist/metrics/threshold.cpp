#include "localist/metrics/threshold.h"

#include <algorithm>
#include <cmath>

#include "localist/core/errors.h"
#include "localist/data/batcher.h"
#include "localist/loss/attention_penalty.h"
#include "localist/loss/cross_group_prox.h"
#include "localist/loss/weight_group_prox.h"
#include "localist/metrics/quantile.h"

namespace localist {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The KKT counts over penalised groups (1-D float64: gradient norm, weight norm, limit): an
// exactly zero group passes when its gradient is within the limit; the others give the ratio
// that is 1 at a stationary point of proximal gradient descent.
void count_kkt(ThresholdEstimate& e, const torch::Tensor& grad, const torch::Tensor& weight,
               const torch::Tensor& limit) {
  std::vector<float> active_ratio;
  for (int64_t k = 0; k < grad.numel(); ++k) {
    const double norm = grad[k].item<double>(), lim = limit[k].item<double>();
    if (weight[k].item<double>() != 0.0) {
      if (lim > 0) active_ratio.push_back(static_cast<float>(norm / lim));
      continue;
    }
    ++e.kkt_inactive;
    (norm <= lim ? e.kkt_pass : e.kkt_fail) += 1;
    e.kkt_max_ratio = std::max(e.kkt_max_ratio, lim > 0 ? norm / lim : kInf);
  }
  if (e.kkt_inactive == 0) e.kkt_max_ratio = kNaN;  // nothing was checked
  e.kkt_active_ratio_min = quantile(active_ratio, 0.0);
  e.kkt_active_ratio_max = quantile(active_ratio, 1.0);
  e.kkt_groups = grad.numel();
}

// Zero-pads a per-block accumulator (blocks along dim 0) to at least k rows.
torch::Tensor grow(const torch::Tensor& t, int64_t k) {
  if (t.size(0) >= k) return t;
  auto shape = t.sizes().vec();
  shape[0] = k - t.size(0);
  return torch::cat({t, torch::zeros(shape, t.options())});
}

// Appends v[:, h, :] at the flat positions `at` (indices into B * T) to out[h], for each head.
// v: (B, H, T)
void append_per_head(const torch::Tensor& v, const torch::Tensor& at,
                     std::vector<std::vector<float>>& out) {
  auto per_head = v.permute({1, 0, 2}).reshape({v.size(1), -1}).index_select(1, at)
                      .to(torch::kFloat).contiguous();  // (H, n)
  for (int64_t h = 0; h < per_head.size(0); ++h) {
    const float* p = per_head[h].data_ptr<float>();
    out[h].insert(out[h].end(), p, p + per_head.size(1));
  }
}

void add_check(BoundCheck& c, const torch::Tensor& measured, const torch::Tensor& bound,
               const torch::Tensor& applies, double tolerance) {
  // measured, bound: (B, H, T); applies: (B, 1, T) bool
  auto mask = applies.expand_as(measured);
  auto excess = (measured - bound).masked_select(mask);
  if (excess.numel() == 0) return;
  c.queries += excess.numel();
  c.violations += (excess > tolerance).sum().item<int64_t>();
  c.max_excess = std::max(c.max_excess, excess.max().item<double>());
  c.mean_bound += bound.masked_select(mask).sum().item<double>();  // sums until result()
  c.mean_measured += measured.masked_select(mask).sum().item<double>();
}

BoundCheck finish(BoundCheck c) {
  if (c.queries) {
    c.mean_bound /= static_cast<double>(c.queries);
    c.mean_measured /= static_cast<double>(c.queries);
  } else {
    c.max_excess = kNaN;
  }
  return c;
}

}  // namespace

torch::Tensor concentration_bound(const torch::Tensor& m, const torch::Tensor& n,
                                  const torch::Tensor& margin) {
  return 1.0 / (1.0 + m * torch::exp(margin) / (n - m));
}

torch::Tensor entropy_bound_nats(const torch::Tensor& eps, const torch::Tensor& m,
                                 const torch::Tensor& n) {
  auto e = eps.clamp(0.0, 1.0);
  auto h = -torch::xlogy(e, e) - torch::xlogy(1.0 - e, 1.0 - e);  // binary entropy, nats
  return h + torch::xlogy(1.0 - e, m) + torch::xlogy(e, n - m);
}

double concentration_threshold(double lipschitz, double radius, double sigma, double block_size,
                               double tau, double rho_max, double delta) {
  if (!(rho_max < 1.0)) return kInf;
  if (std::isinf(delta) && delta > 0) return 0.0;  // a hard mask: nothing off target to push
  return 2.0 * lipschitz * radius * sigma * std::sqrt(block_size) / (tau * (1.0 - rho_max)) *
         std::exp(-delta / tau);
}

torch::Tensor query_margin(const torch::Tensor& logits, const torch::Tensor& in_target) {
  torch::NoGradGuard no_grad;
  auto z = logits.detach().to(torch::kCPU, torch::kDouble);                    // (B, H, T, T)
  const int64_t T = z.size(-1);
  auto target = in_target.to(torch::kCPU, torch::kBool).unsqueeze(1);          // (B, 1, T, T)
  auto off = torch::ones({T, T}, torch::kBool).tril() & ~target;                // visible, off target
  return z.masked_fill(~target, kInf).amin(-1) - z.masked_fill(~off, -kInf).amax(-1);
}

QueryBounds query_bounds(const torch::Tensor& logits, const torch::Tensor& probs,
                         const torch::Tensor& in_target) {
  torch::NoGradGuard no_grad;
  auto z = logits.detach().to(torch::kCPU, torch::kDouble);  // (B, H, T, T)
  auto p = probs.detach().to(torch::kCPU, torch::kDouble);   // (B, H, T, T)
  const int64_t B = z.size(0), T = z.size(-1);
  auto target = in_target.to(torch::kCPU, torch::kBool).unsqueeze(1);          // (B, 1, T, T)
  auto visible = torch::ones({T, T}, torch::kBool).tril();                      // (T, T)
  auto off = visible & ~target;                                                 // (B, 1, T, T)
  QueryBounds q;
  q.margin = query_margin(z, in_target);
  q.targets = target.squeeze(1).sum(-1).to(torch::kDouble);                     // (B, T)
  q.visible = torch::arange(1, T + 1, torch::kDouble).expand({B, T}).contiguous();
  q.has_target = q.targets.gt(0);
  q.has_both = q.has_target & q.visible.gt(q.targets);
  auto m = q.targets.unsqueeze(1), n = q.visible.unsqueeze(1);                  // (B, 1, T)
  q.off_mass = (p * off).sum(-1);                                               // (B, H, T)
  q.mass_bound = concentration_bound(m, n, q.margin);
  q.entropy = -torch::xlogy(p, p).sum(-1);
  q.entropy_bound = entropy_bound_nats(q.off_mass, m, n);
  return q;
}

BlockCoherence max_principal_coherence(const std::vector<torch::Tensor>& rows, int64_t min_rows) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> dirs;
  std::vector<int64_t> ids;
  for (size_t b = 0; b < rows.size(); ++b) {
    if (!rows[b].defined() || rows[b].size(0) < std::max<int64_t>(min_rows, 2)) continue;
    auto x = rows[b].to(torch::kCPU, torch::kDouble);               // (n, C)
    x = x - x.mean(0, true);
    auto [u, sv, vh] = torch::linalg_svd(x, false);
    // a block whose inputs do not vary has no direction: it is incoherent with everything
    dirs.push_back(sv[0].item<double>() > 1e-12 ? vh[0] : torch::zeros({x.size(1)}, torch::kDouble));
    ids.push_back(static_cast<int64_t>(b));
  }
  const int64_t k = dirs.size();
  if (k < 2) return {0.0, {-1, -1}, k};
  const auto d = torch::stack(dirs);                                  // (k, C) unit rows
  auto c = torch::matmul(d, d.t()).abs();
  c.fill_diagonal_(-1.0);
  const auto flat = c.argmax().item<int64_t>();
  BlockCoherence r{std::min(c.flatten()[flat].item<double>(), 1.0), {ids[flat / k], ids[flat % k]}, k};
  if (r.pair.first > r.pair.second) std::swap(r.pair.first, r.pair.second);
  return r;  // (|cos| > 1 is rounding only)
}

void ThresholdOptions::validate() const {
  if (min_block_members < 1)
    throw ConfigError("min_block_members = " + std::to_string(min_block_members) +
                      " is impossible; expected >= 1");
  if (rho_samples < 2)
    throw ConfigError("rho_samples = " + std::to_string(rho_samples) +
                      " is impossible; expected >= 2 (a direction needs two positions)");
  if (!(margin_percentile >= 0 && margin_percentile <= 50))
    throw ConfigError("margin_percentile = " + std::to_string(margin_percentile) +
                      " is impossible; expected in [0, 50] (a uniform margin is a low percentile)");
  if (!(tolerance >= 0)) throw ConfigError("tolerance must be >= 0");
}

PenaltyInForce PenaltyInForce::from_config(const LocalistConfig& c, int64_t n_layer) {
  PenaltyInForce p;
  p.lambda = c.lambda;
  // the trainer's attention penalty follows the progressive schedule, the bias switch aside
  p.layer_lambda = Dial{c.lambda, c.kappa, c.lambda_layer_power}.layer_lambdas(n_layer);
  p.alpha_att = c.alpha_att;
  p.alpha_w = c.alpha_w;
  p.unit_groups = c.unit_groups;
  p.cross_groups = c.cross_groups;
  return p;
}

bool PenaltyInForce::attention() const {
  for (double l : layer_lambda)
    if (l * alpha_att > 0) return true;
  return false;
}

ThresholdEstimator::ThresholdEstimator(Gpt& model, const BlockMap& blocks, const Dial& dial,
                                       PenaltyInForce penalty, ThresholdOptions options)
    : model_(model),
      blocks_(blocks),
      dial_(dial),
      penalty_(std::move(penalty)),
      opt_(options),
      L_(model->cfg.n_layer),
      H_(model->cfg.n_head) {
  opt_.validate();
  unit_groups(model->cfg.n_embd, penalty_.unit_groups);  // ConfigError naming unit_groups
  if (static_cast<int64_t>(penalty_.layer_lambda.size()) != L_)
    penalty_.layer_lambda.assign(L_, penalty_.layer_lambda.empty() ? 0.0 : penalty_.layer_lambda[0]);
  model_->eval();
  const int64_t C = model->cfg.n_embd;
  radius_.assign(L_, 0.0);
  for (int64_t l = 0; l < L_; ++l) {  // one tensor each: they are accumulated in place
    block_n_.push_back(torch::zeros({0}, torch::kDouble));
    block_sum_.push_back(torch::zeros({0, C}, torch::kDouble));
    block_sq_.push_back(torch::zeros({0}, torch::kDouble));
    ce_grad_sum_.push_back(torch::zeros({3 * model->cfg.attn_width(), C}, torch::kDouble));
    att_grad_sum_.push_back(torch::zeros({3 * model->cfg.attn_width(), C}, torch::kDouble));
    ce_bias_grad_sum_.push_back(torch::zeros({3 * model->cfg.attn_width()}, torch::kDouble));
    att_bias_grad_sum_.push_back(torch::zeros({3 * model->cfg.attn_width()}, torch::kDouble));
  }
  block_rows_.assign(L_, {});
  grad_norms_.assign(L_, std::vector<std::vector<float>>(H_));
  margins_.assign(L_, std::vector<std::vector<float>>(H_));
  dial_margins_.assign(L_, std::vector<std::vector<float>>(H_));
  off_mass_sum_ = torch::zeros({L_, H_}, torch::kDouble);
  mass_bound_sum_ = off_mass_sum_.clone();
  mass_measured_sum_ = off_mass_sum_.clone();
  size_sum_ = torch::zeros({0}, torch::kDouble);
  size_n_ = torch::zeros({0}, torch::kDouble);
}

void ThresholdEstimator::add(const torch::Tensor& x_in, const torch::Tensor& y_in) {
  torch::AutoGradMode grad_on(true);  // the gradients are the point, whatever the caller's mode
  const auto device = model_->wte->weight.device();
  auto x = x_in.to(device), y = y_in.to(device);                      // (B, T)
  const int64_t B = x.size(0), T = x.size(1);
  const double tau = model_->cfg.attn_temperature;
  const auto layout = blocks_.layout(x);
  std::vector<AttentionTrace> trace;
  const auto biases = dial_biases(layout, dial_, L_);
  auto out = model_->forward(x, false, biases, &trace);

  // One backward pass of the summed cross-entropy: head outputs (L_l) and c_attn (KKT).
  auto ce = torch::nn::functional::cross_entropy(
      out.logits.reshape({-1, out.logits.size(-1)}).to(torch::kFloat), y.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-1).reduction(torch::kSum));
  std::vector<torch::Tensor> inputs, weights, probs;
  for (const auto& tr : trace) inputs.push_back(tr.heads), probs.push_back(tr.probs);
  for (const auto& m : *model_->layers) weights.push_back(m->as<Layer>()->attn->c_attn->weight);
  for (const auto& m : *model_->layers) weights.push_back(m->as<Layer>()->attn->c_attn->bias);
  inputs.insert(inputs.end(), weights.begin(), weights.end());  // [heads (L), weights (L), biases (L)]
  const bool att = penalty_.attention();
  auto grads = torch::autograd::grad({ce}, inputs, {}, /*retain_graph=*/att, false, /*allow_unused=*/true);
  const auto add_grad = [](torch::Tensor& sum, const torch::Tensor& g) {
    if (g.defined()) sum += g.detach().to(torch::kCPU, torch::kDouble);
  };
  if (att) {  // R_att is a mean over (B, H, T): weight it by its positions to pool batches
    auto ratt = attention_group_penalty(probs, layout, penalty_.layer_lambda, penalty_.alpha_att) *
                static_cast<double>(B * T);
    auto g = torch::autograd::grad({ratt}, weights, {}, false, false, true);
    for (int64_t l = 0; l < L_; ++l) add_grad(att_grad_sum_[l], g[l]), add_grad(att_bias_grad_sum_[l], g[L_ + l]);
    att_positions_ += B * T;
  }

  torch::NoGradGuard no_grad;
  auto measured = y.ne(-1).to(torch::kCPU);                          // (B, T)
  auto in_target = target_keys(layout).to(torch::kCPU);              // (B, T, T)
  auto block = layout.block.to(torch::kCPU);
  auto target = layout.target.to(torch::kCPU);
  auto at_measured = measured.flatten().nonzero().squeeze(1);        // flat (B * T) indices
  if (at_measured.numel() == 0) return;
  const auto kept = rows_to_keep(block.flatten().index_select(0, at_measured));
  bool sizes_done = false;
  for (int64_t l = 0; l < L_; ++l) {
    // R_x and the block statistics of sigma_X / rho_max, on the attention input ln_1(x)
    auto xin = trace[l].input.detach().to(torch::kCPU, torch::kDouble);  // (B, T, C)
    auto rows = xin.reshape({B * T, -1}).index_select(0, at_measured);  // (n, C)
    auto sq = (rows * rows).sum(1);                                      // (n)
    radius_[l] = std::max(radius_[l], std::sqrt(sq.max().item<double>()));
    auto ids = block.flatten().index_select(0, at_measured);            // (n)
    const int64_t K = ids.max().item<int64_t>() + 1;
    block_n_[l] = grow(block_n_[l], K);
    block_sum_[l] = grow(block_sum_[l], K);
    block_sq_[l] = grow(block_sq_[l], K);
    block_n_[l].index_add_(0, ids, torch::ones({ids.size(0)}, torch::kDouble));
    block_sum_[l].index_add_(0, ids, rows);
    block_sq_[l].index_add_(0, ids, sq);
    keep_rows(l, rows, kept);

    // margins, masses, entropies and their bounds
    const auto q = query_bounds(trace[l].logits, trace[l].probs, in_target);
    auto with_target = q.has_target & measured;                          // (B, T)
    auto both = q.has_both & measured;
    append_per_head(grads[l].detach().to(torch::kCPU).norm(2, -1), at_measured, grad_norms_[l]);
    // delta_t: the model's own logits (the dial's bias taken back out) and, for reference, with it
    const auto at_both = both.flatten().nonzero().squeeze(1);
    const auto own = biases[l].defined() ? query_margin(trace[l].logits - biases[l], in_target) : q.margin;
    append_per_head(own * tau, at_both, margins_[l]);
    append_per_head(q.margin * tau, at_both, dial_margins_[l]);
    const std::vector<int64_t> bt{0, 2};
    off_mass_sum_[l] += (q.off_mass * with_target.unsqueeze(1)).sum(bt);
    mass_bound_sum_[l] += (q.mass_bound.masked_fill(~both.unsqueeze(1), 0)).sum(bt);
    mass_measured_sum_[l] += (q.off_mass * both.unsqueeze(1)).sum(bt);
    add_check(concentration_, q.off_mass, q.mass_bound, both.unsqueeze(1), opt_.tolerance);
    add_check(entropy_, q.entropy, q.entropy_bound, both.unsqueeze(1), opt_.tolerance);
    add_grad(ce_grad_sum_[l], grads[L_ + l]);
    add_grad(ce_bias_grad_sum_[l], grads[2 * L_ + l]);

    if (!sizes_done) {  // |X_b(t)(t)| per target block (the same for every layer)
      sizes_done = true;
      auto tids = target.masked_select(with_target);
      auto m = q.targets.masked_select(with_target);
      if (tids.numel()) {
        const int64_t Kt = tids.max().item<int64_t>() + 1;
        size_sum_ = grow(size_sum_, Kt);
        size_n_ = grow(size_n_, Kt);
        size_sum_.index_add_(0, tids, m);
        size_n_.index_add_(0, tids, torch::ones({tids.size(0)}, torch::kDouble));
      }
      queries_ += at_measured.size(0);
      target_queries_ += with_target.sum().item<int64_t>();
      margin_queries_ += both.sum().item<int64_t>();
    }
  }
}

// The positions (indices into ids) whose rows are kept for the principal directions: the first
// rho_samples of each block, counted over the whole pass.
std::vector<std::pair<int64_t, int64_t>> ThresholdEstimator::rows_to_keep(const torch::Tensor& ids) {
  std::vector<std::pair<int64_t, int64_t>> kept;  // (index, block)
  auto a = ids.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t* p = a.data_ptr<int64_t>();
  for (int64_t j = 0; j < a.numel(); ++j) {
    if (p[j] >= static_cast<int64_t>(block_kept_.size())) block_kept_.resize(p[j] + 1, 0);
    if (block_kept_[p[j]] < opt_.rho_samples) ++block_kept_[p[j]], kept.emplace_back(j, p[j]);
  }
  return kept;
}

void ThresholdEstimator::keep_rows(int64_t l, const torch::Tensor& rows,
                                   const std::vector<std::pair<int64_t, int64_t>>& kept) {
  auto& per_block = block_rows_[l];
  for (const auto& [j, b] : kept) {
    if (b >= static_cast<int64_t>(per_block.size())) per_block.resize(b + 1);
    per_block[b].push_back(rows[j].to(torch::kFloat));
  }
}

// rho_max of layer l from the rows kept per block.
BlockCoherence ThresholdEstimator::principal_coherence(int64_t l) const {
  std::vector<torch::Tensor> rows;
  for (const auto& kept : block_rows_[l])
    rows.push_back(kept.empty() ? torch::Tensor() : torch::stack(kept));
  return max_principal_coherence(rows, std::min(opt_.min_block_members, opt_.rho_samples));
}

// Per layer: the input radius R_x, the block scale sigma_X and the block incoherence rho_max.
void ThresholdEstimator::layer_constants(ThresholdEstimate& e) const {
  for (int64_t l = 0; l < L_; ++l) {
    e.input_radius.push_back(radius_[l]);
    const auto& n = block_n_[l];
    const double N = n.sum().item<double>();
    if (N == 0) {
      e.block_scale.push_back(kNaN), e.rho_max.push_back(kNaN), e.rho_pair.emplace_back(-1, -1);
      e.blocks_compared.push_back(0);
      continue;
    }
    auto mean = block_sum_[l] / n.clamp_min(1).unsqueeze(1);                 // (K, C)
    // sum_j ||x_j - xbar_b||^2 = sum_j ||x_j||^2 - sum_b n_b ||xbar_b||^2
    const double within = block_sq_[l].sum().item<double>() - (n * mean.pow(2).sum(1)).sum().item<double>();
    e.block_scale.push_back(std::sqrt(std::max(within, 0.0) / N));
    const auto rho = principal_coherence(l);
    e.blocks_compared.push_back(rho.compared);
    e.rho_max.push_back(rho.rho);
    e.rho_pair.push_back(rho.pair);
  }
}

// Per layer and head: the Lipschitz constant L_l and the margin delta, and the measured masses.
void ThresholdEstimator::head_constants(ThresholdEstimate& e) const {
  const auto z = torch::zeros({L_, H_}, torch::kDouble);
  e.lipschitz_max = z.clone(), e.lipschitz_p95 = z.clone();
  e.margin_uniform = z.clone(), e.margin_median = z.clone(), e.margin_positive = z.clone();
  e.margin_dial_median = z.clone();
  for (int64_t l = 0; l < L_; ++l)
    for (int64_t h = 0; h < H_; ++h) {
      e.lipschitz_max[l][h] = quantile(grad_norms_[l][h], 1.0);
      e.lipschitz_p95[l][h] = quantile(grad_norms_[l][h], 0.95);
      const auto& d = margins_[l][h];
      e.margin_uniform[l][h] = quantile(d, opt_.margin_percentile / 100.0);
      e.margin_median[l][h] = quantile(d, 0.5);
      e.margin_dial_median[l][h] = quantile(dial_margins_[l][h], 0.5);
      e.margin_positive[l][h] =
          d.empty() ? kNaN
                    : static_cast<double>(std::count_if(d.begin(), d.end(), [](float v) { return v > 0; })) /
                          static_cast<double>(d.size());
    }
  e.off_target_mass = target_queries_ ? off_mass_sum_ / static_cast<double>(target_queries_) : z.clone();
  e.mass_bound_mean = margin_queries_ ? mass_bound_sum_ / static_cast<double>(margin_queries_) : z.clone();
  e.mass_measured_mean = margin_queries_ ? mass_measured_sum_ / static_cast<double>(margin_queries_) : z.clone();
}

// The block sizes seen and the threshold at each (own block, every target block).
void ThresholdEstimator::thresholds(ThresholdEstimate& e) const {
  const auto z = torch::zeros({L_, H_}, torch::kDouble);
  const double n_sized = size_n_.sum().item<double>();
  e.own_block_size = n_sized > 0 ? size_sum_.sum().item<double>() / n_sized : kNaN;
  for (int64_t i = 0; i < size_n_.size(0); ++i) {
    const double n = size_n_[i].item<double>();
    if (n > 0) e.block_sizes.push_back({i, static_cast<int64_t>(n), size_sum_[i].item<double>() / n});
  }
  const int64_t Kb = e.block_sizes.size();
  e.threshold_own = z.clone();
  e.threshold_block = torch::zeros({L_, H_, Kb}, torch::kDouble);
  for (int64_t l = 0; l < L_; ++l)
    for (int64_t h = 0; h < H_; ++h) {
      auto at = [&](double size) {
        return concentration_threshold(e.lipschitz_max[l][h].item<double>(), e.input_radius[l],
                                       e.block_scale[l], size, e.tau, e.rho_max[l],
                                       e.margin_uniform[l][h].item<double>());
      };
      e.threshold_own[l][h] = at(e.own_block_size);
      for (int64_t i = 0; i < Kb; ++i) e.threshold_block[l][h][i] = at(e.block_sizes[i].mean_size);
    }
}

// The penalties in force, nominal and as the threshold compares them.
void ThresholdEstimator::penalties(ThresholdEstimate& e) const {
  for (int64_t l = 0; l < L_; ++l) {
    const double nominal = penalty_.layer_lambda[l] * penalty_.alpha_att;
    e.attention_penalty_nominal.push_back(nominal);
    e.attention_penalty_effective.push_back(nominal * std::sqrt(e.own_block_size) /
                                            static_cast<double>(L_ * H_));
  }
  const auto groups = unit_groups(model_->cfg.n_embd, penalty_.unit_groups);
  for (const auto& g : groups)
    e.weight_penalty.push_back(penalty_.lambda * penalty_.alpha_w * std::sqrt(static_cast<double>(g.second)));
}

// KKT on the W_Q / W_K unit groups (weight_group_prox.h: rows part*H*Dh + h*Dh.., columns G_i):
// at a stationary point an inactive group's gradient norm stays within its penalty.
void ThresholdEstimator::kkt_check(ThresholdEstimate& e) const {
  e.kkt_includes_attention_penalty = att_positions_ > 0;
  e.kkt_cross_groups = penalty_.cross_groups;
  std::vector<torch::Tensor> gw, gb;  // per layer: the smooth objective's mean gradient on c_attn
  for (int64_t l = 0; l < L_; ++l) {
    const double n = std::max<int64_t>(queries_, 1), a = std::max<int64_t>(att_positions_, 1);
    gw.push_back(ce_grad_sum_[l] / n + att_grad_sum_[l] / a);
    gb.push_back(ce_bias_grad_sum_[l] / n + att_bias_grad_sum_[l] / a);
  }
  Gpt model = model_;
  const double scale = penalty_.lambda * penalty_.alpha_w;
  if (penalty_.cross_groups) {  // off-diagonal (slice, unit group) blocks and query biases
    const int64_t K = penalty_.unit_groups;
    const auto g = cross_group_norms(model->cfg, K, gw, gb), w = cross_group_norms(model, K);
    e.kkt_grad_norm = g.blocks, e.kkt_weight_norm = w.blocks;
    const auto off = torch::eye(K, torch::kBool).logical_not().expand_as(g.blocks);
    const auto coef = (cross_group_coefficients(model->cfg, K) * scale).expand_as(g.blocks);
    const double bias_limit = scale * std::sqrt(static_cast<double>(model->cfg.head_dim()));
    count_kkt(e, torch::cat({g.blocks.masked_select(off), g.bias.flatten()}),
              torch::cat({w.blocks.masked_select(off), w.bias.flatten()}),
              torch::cat({coef.masked_select(off), torch::full({g.bias.numel()}, bias_limit, torch::kDouble)}));
    return;
  }
  const auto groups = unit_groups(model_->cfg.n_embd, penalty_.unit_groups);
  const int64_t Kw = groups.size(), C = model_->cfg.attn_width(), Dh = model_->cfg.head_dim();
  e.kkt_grad_norm = torch::zeros({L_, H_, 2, Kw}, torch::kDouble);
  for (int64_t l = 0; l < L_; ++l)
    for (int64_t h = 0; h < H_; ++h)
      for (int64_t part = 0; part < 2; ++part)
        for (int64_t i = 0; i < Kw; ++i)
          e.kkt_grad_norm[l][h][part][i] =
              gw[l].narrow(0, part * C + h * Dh, Dh).narrow(1, groups[i].first, groups[i].second).norm().item<double>();
  e.kkt_weight_norm = weight_group_norms(model, Kw);
  const auto limit = torch::tensor(e.weight_penalty, torch::kDouble).expand_as(e.kkt_grad_norm);
  count_kkt(e, e.kkt_grad_norm.flatten(), e.kkt_weight_norm.flatten(), limit.flatten());
}

ThresholdEstimate ThresholdEstimator::result() const {
  ThresholdEstimate e;
  e.tau = model_->cfg.attn_temperature;
  e.n_layer = L_;
  e.n_head = H_;
  e.queries = queries_;
  e.target_queries = target_queries_;
  e.margin_queries = margin_queries_;
  e.options = opt_;
  e.penalty = penalty_;

  layer_constants(e);
  head_constants(e);
  thresholds(e);
  penalties(e);
  kkt_check(e);
  e.concentration = finish(concentration_);
  e.entropy = finish(entropy_);
  return e;
}

ThresholdEstimate estimate_threshold(Gpt& model, const data::TokenFile& tokens, int64_t batch_size,
                                     const torch::Device& device, int64_t max_tokens,
                                     const BlockMap& blocks, const Dial& dial,
                                     const PenaltyInForce& penalty, const ThresholdOptions& options) {
  options.validate();  // batch_size and max_tokens: sequential_batches checks them
  const bool was_training = model->is_training();
  ThresholdEstimator est(model, blocks, dial, penalty, options);
  for (const auto& b : data::sequential_batches(tokens, batch_size, model->cfg.context_length, max_tokens))
    est.add(b.x.to(device), b.y.to(device));
  if (was_training) model->train();
  return est.result();
}

}  // namespace localist
