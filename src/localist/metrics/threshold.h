#pragma once
// The concentration threshold of docs/design.md §1.4, every constant estimated from a model and
// held-out data, with the bounds that come with it and the KKT check:
//
//   lambda_i^(h)(tau, delta) = 2 L_l R_x sigma_X sqrt|X_i| / (tau (1 - rho_max)) exp(-delta / tau)
//
// Estimators (one pass over held-out windows; "queries" are the scored positions, y != -1):
//   tau      the model's attention temperature (ModelConfig::attn_temperature).
//   L_l      per layer/head: max (used in the formula) and 95th percentile over queries t of
//            ||d(sum_s l_s) / d o_t||_2, o = the head's output (B, H, T, Dh) before c_proj and
//            l_s the token cross-entropies of the batch. The loss is the SUM over the batch's
//            tokens, so the gradient at t is its own token's plus that of the later tokens o_t
//            reaches through the layers above: the whole of what o_t moves, per position.
//   R_x      per layer: max_t ||x_t||_2, x = ln_1 of the layer input (what attention reads).
//   sigma_X  per layer: sqrt(mean_j ||x_j - xbar_beta(j)||^2), xbar_i the mean of x over every
//            evaluated position with block id i (pooled over windows: for window:W and vocab an
//            id names the same block in every window; for segment it is the i-th segment of the
//            window, an ordinal).
//   rho_max  per layer: max |cos(u_i, u_k)| over pairs i != k of blocks with at least
//            min_block_members positions, u_i the principal direction (top right singular
//            vector) of block i's centred inputs x_j - xbar_i, from the first rho_samples
//            positions of each block. How far the directions along which two blocks vary are
//            from orthogonal; defined for two blocks (the cosine of centred block *means* is
//            always 1 there: they are opposite). Must be < 1, else the threshold is infinite.
//            No such pair: 0.
//   delta    per layer/head: over queries with a non-empty target set and a non-empty visible
//            off-target set, delta_t = min_{j in X_b(t)(t)} z_tj - max_{j <= t off target} z_tj
//            in pre-temperature logit units z = q.k / sqrt(d_head), the model's OWN logits (the
//            dial's bias left out: with it the guarantee would assume what it proves). A
//            uniform margin (Assumption C) is used: the margin_percentile-th percentile over
//            queries (0 = the minimum); the median, the fraction > 0 and the median with the
//            dial's bias are reported beside it.
//   |X_i|    mean |X_b(t)(t)| over queries with a target (the query's own block), and per target
//            block i the mean over queries with b(t) = i.
// The threshold is compared with the penalties in force, as coefficients of one token's loss:
//   attention group (effect 2): R_att = alpha mean_{l,h,t} lambda_l sum_i sqrt|X_i| ||a_t[X_i]||
//            puts lambda_l alpha sqrt|X_i| / (L H) on each (l, h, t) group against one token's
//            cross-entropy (the mean over l, h divides by L H); that effective value is compared.
//   weight group (effect 3): lambda alpha_W sqrt|G_i| against the mean cross-entropy, as is.
// KKT check: gradient of the mean held-out cross-entropy (+ R_att when it is in force: the
// smooth part of the training objective) w.r.t. each group R_W penalises: W_Q / W_K unit groups
// (weight_group_prox.h), or with cross groups the off-diagonal blocks and query biases
// (cross_group_prox.h); a group that is exactly zero passes when ||grad||_F <= lambda alpha_W
// times its coefficient (sqrt|G_i|; sqrt(d_head) for a query bias).
// Per-query bounds (margins in final-logit units, i.e. delta_t / tau):
//   off-target mass  eps_t <= (N - m) e^-margin / (m + (N - m) e^-margin)
//   entropy          H_t <= h(eps_t) + (1 - eps_t) ln m + eps_t ln(N - m)      (nats)
// with m target keys among the N = t + 1 visible ones; both are theorems, so a violation beyond
// float rounding (`tolerance`) is a bug.
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "localist/core/config.h"
#include "localist/data/token_file.h"
#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"

namespace localist {

// --- the closed forms, elementwise on float64 tensors of one shape -----------------------------

// (N - m) e^-margin / (m + (N - m) e^-margin), written 1 / (1 + m e^margin / (N - m)) so that
// margin = +inf gives 0 and a very negative margin gives 1 without inf / inf.
torch::Tensor concentration_bound(const torch::Tensor& m, const torch::Tensor& n,
                                  const torch::Tensor& margin);
// h(eps) + (1 - eps) ln m + eps ln(N - m), nats (0 ln 0 = 0).
torch::Tensor entropy_bound_nats(const torch::Tensor& eps, const torch::Tensor& m,
                                 const torch::Tensor& n);
// The threshold formula; infinity when rho_max >= 1 (block incoherence fails).
double concentration_threshold(double lipschitz, double radius, double sigma, double block_size,
                               double tau, double rho_max, double delta);

// Per-query quantities of one layer. logits: (B, H, T, T), the softmax's input (future keys
// -inf); probs: (B, H, T, T); in_target: (B, T, T) bool (target_keys). Returned in float64.
struct QueryBounds {
  torch::Tensor margin;         // (B, H, T) min target - max visible off-target logit
  torch::Tensor off_mass;       // (B, H, T) measured eps_t
  torch::Tensor mass_bound;     // (B, H, T)
  torch::Tensor entropy;        // (B, H, T) nats
  torch::Tensor entropy_bound;  // (B, H, T) nats, at the measured eps_t
  torch::Tensor targets;        // (B, T) m = |X_b(t)(t)|
  torch::Tensor visible;        // (B, T) N = t + 1
  torch::Tensor has_target;     // (B, T) bool: m > 0
  torch::Tensor has_both;       // (B, T) bool: m > 0 and N - m > 0 (the bounds apply)
};
QueryBounds query_bounds(const torch::Tensor& logits, const torch::Tensor& probs,
                         const torch::Tensor& in_target);
// The margin alone: (B, H, T) float64, min target - max visible off-target logit (+inf with no
// off-target key visible, -inf with no target key).
torch::Tensor query_margin(const torch::Tensor& logits, const torch::Tensor& in_target);

// Block incoherence from rows of inputs per block (rows[b]: (n_b, C), undefined or fewer than
// min_rows rows: the block is left out): the largest |cos| between two blocks' principal
// directions (top right singular vector of the centred rows).
struct BlockCoherence {
  double rho = 0;                          // 0 when fewer than two blocks qualify
  std::pair<int64_t, int64_t> pair{-1, -1};  // the blocks attaining it
  int64_t compared = 0;                    // blocks that qualified
};
BlockCoherence max_principal_coherence(const std::vector<torch::Tensor>& rows, int64_t min_rows);

// --- the estimate ---------------------------------------------------------------------------

// The penalties the threshold is compared with (from the LocalistConfig, as training used them).
struct PenaltyInForce {
  double lambda = 0;                 // the dial (the weight-group prox uses it as is)
  std::vector<double> layer_lambda;  // lambda_l of the attention-group penalty (progressive)
  double alpha_att = 0;
  double alpha_w = 0;
  int64_t unit_groups = 4;
  bool cross_groups = false;         // R_W on block units' cross-block groups (cross_group_prox.h)
  static PenaltyInForce from_config(const LocalistConfig& c, int64_t n_layer);
  bool attention() const;  // lambda_l alpha_att > 0 somewhere
};

struct BoundCheck {
  int64_t queries = 0;     // (l, h, t) triples where the bound applies
  int64_t violations = 0;  // measured > bound + tolerance
  double max_excess = -std::numeric_limits<double>::infinity();  // max(measured - bound)
  double mean_bound = 0, mean_measured = 0;
};

// How the estimator reads the data (defaults as `localist threshold` uses them).
struct ThresholdOptions {
  int64_t min_block_members = 5;   // positions a block needs to enter rho_max
  int64_t rho_samples = 256;       // positions per block kept for its principal direction
  double margin_percentile = 5;    // the uniform margin delta: this percentile of delta_t (0 = min)
  double tolerance = 1e-5;         // a bound violated by more is a bug
  void validate() const;           // ConfigError naming the field
};

struct BlockSize {
  int64_t block = 0;    // target block id
  int64_t queries = 0;  // queries with b(t) = block and a non-empty target set
  double mean_size = 0; // mean |X_block(t)|
};

struct ThresholdEstimate {
  double tau = 1;
  int64_t n_layer = 0, n_head = 0;
  int64_t queries = 0;          // scored positions (per head)
  int64_t target_queries = 0;   // ... with a non-empty target set
  int64_t margin_queries = 0;   // ... and a non-empty visible off-target set (delta, bounds)
  ThresholdOptions options;

  // per layer (L)
  std::vector<double> input_radius;               // R_x
  std::vector<double> block_scale;                // sigma_X
  std::vector<double> rho_max;                    // principal directions; 0 when no pair qualifies
  std::vector<std::pair<int64_t, int64_t>> rho_pair;  // the blocks attaining it (-1: none)
  std::vector<int64_t> blocks_compared;           // blocks with >= min_block_members positions

  // per layer/head (L, H), float64
  torch::Tensor lipschitz_max, lipschitz_p95;
  torch::Tensor margin_uniform;      // delta used: the options' percentile of the model's own
                                     // delta_t, pre-temperature units
  torch::Tensor margin_median;       // median of the model's own delta_t
  torch::Tensor margin_positive;     // fraction of the model's own delta_t > 0
  torch::Tensor margin_dial_median;  // median delta_t with the dial's bias (the old, circular one)
  torch::Tensor off_target_mass;  // mean eps_t over queries with a target (= 1 - block fidelity)
  torch::Tensor mass_bound_mean, mass_measured_mean;  // over queries where the bound applies

  // block sizes and thresholds
  double own_block_size = 0;             // mean |X_b(t)(t)|
  std::vector<BlockSize> block_sizes;    // per target block id seen
  torch::Tensor threshold_own;           // (L, H) at own_block_size
  torch::Tensor threshold_block;         // (L, H, K) per block_sizes entry

  // penalties in force, on the own block
  PenaltyInForce penalty;
  std::vector<double> attention_penalty_nominal;    // (L) lambda_l alpha_att
  std::vector<double> attention_penalty_effective;  // (L) lambda_l alpha_att sqrt|X| / (L H)
  std::vector<double> weight_penalty;               // (K_W) lambda alpha_W sqrt|G_i|

  // KKT check on the groups R_W penalises: W_Q / W_K unit groups, or with cross_groups the
  // off-diagonal (slice s, unit group i) blocks and the query biases (cross_group_prox.h)
  torch::Tensor kkt_grad_norm;    // (L, H, 2, K_W): [.., 0, i] W_Q, [.., 1, i] W_K; cross: (L, H, 2, K, K) [.., s, i]
  torch::Tensor kkt_weight_norm;  // the same shape
  int64_t kkt_groups = 0;         // groups checked (cross: off-diagonal blocks + query biases)
  bool kkt_cross_groups = false;
  bool kkt_includes_attention_penalty = false;
  int64_t kkt_inactive = 0, kkt_pass = 0, kkt_fail = 0;
  double kkt_max_ratio = 0;  // max ||grad|| / limit over inactive groups (inf with no penalty,
                             // NaN with no inactive group)
  // Active groups: at a stationary point of proximal gradient descent ||grad|| equals the limit
  // (the penalty's gradient balances it); min and max of ||grad|| / limit, NaN if none.
  double kkt_active_ratio_min = 0, kkt_active_ratio_max = 0;

  BoundCheck concentration;  // off-target mass, probabilities
  BoundCheck entropy;        // nats
};

// Accumulates over batches; the model's attention is traced (materialised) and one backward
// pass per batch gives the head-output and c_attn gradients (parameters' .grad untouched).
// Puts the model in eval mode; `blocks` must outlive the estimator.
class ThresholdEstimator {
 public:
  ThresholdEstimator(Gpt& model, const BlockMap& blocks, const Dial& dial, PenaltyInForce penalty,
                     ThresholdOptions options = {});
  // x, y: (B, T) int64 (moved to the model's device); y = -1 marks padding, not measured.
  void add(const torch::Tensor& x, const torch::Tensor& y);
  ThresholdEstimate result() const;

 private:
  // the parts of result(), in order
  void layer_constants(ThresholdEstimate& e) const;
  void head_constants(ThresholdEstimate& e) const;
  void thresholds(ThresholdEstimate& e) const;
  void penalties(ThresholdEstimate& e) const;
  void kkt_check(ThresholdEstimate& e) const;
  std::vector<std::pair<int64_t, int64_t>> rows_to_keep(const torch::Tensor& ids);
  void keep_rows(int64_t l, const torch::Tensor& rows, const std::vector<std::pair<int64_t, int64_t>>& kept);
  BlockCoherence principal_coherence(int64_t l) const;
  Gpt model_;
  const BlockMap& blocks_;
  Dial dial_;
  PenaltyInForce penalty_;
  ThresholdOptions opt_;
  int64_t L_, H_;
  int64_t queries_ = 0, target_queries_ = 0, margin_queries_ = 0;
  std::vector<double> radius_;                      // (L) running max of ||x_t||
  std::vector<torch::Tensor> block_n_, block_sum_, block_sq_;  // per layer (K), (K, C), (K)
  std::vector<std::vector<std::vector<torch::Tensor>>> block_rows_;  // [l][block] kept x rows
  std::vector<int64_t> block_kept_;                 // [block] rows kept so far (every layer alike)
  std::vector<std::vector<std::vector<float>>> grad_norms_;  // [l][h] per query
  std::vector<std::vector<std::vector<float>>> margins_, dial_margins_;  // [l][h] per query
  torch::Tensor off_mass_sum_, mass_bound_sum_, mass_measured_sum_;    // (L, H)
  torch::Tensor size_sum_, size_n_;                 // per target block id (K)
  std::vector<torch::Tensor> ce_grad_sum_;    // per layer (3C, C): of the summed cross-entropy
  std::vector<torch::Tensor> att_grad_sum_;   // per layer (3C, C): of R_att * positions
  std::vector<torch::Tensor> ce_bias_grad_sum_, att_bias_grad_sum_;  // per layer (3C): the same on c_attn's bias
  int64_t att_positions_ = 0;                 // positions R_att was averaged over
  BoundCheck concentration_, entropy_;
};

// The whole held-out pass: sequential windows of `tokens` (the first max_tokens predictions;
// 0 = all), batch_size windows at a time, on `device`.
ThresholdEstimate estimate_threshold(Gpt& model, const data::TokenFile& tokens, int64_t batch_size,
                                     const torch::Device& device, int64_t max_tokens,
                                     const BlockMap& blocks, const Dial& dial,
                                     const PenaltyInForce& penalty, const ThresholdOptions& options = {});

}  // namespace localist
