#pragma once
// Lemma 1 of docs/design.md §1.4, measured (docs/theory.md): the attention mass a query puts off
// its target block falls exponentially with the margin-to-temperature ratio delta / tau,
//
//   eps_t <= (N - m) e^{-delta/tau} / (m + (N - m) e^{-delta/tau})
//
// for m target keys among N visible ones, when every target logit exceeds every off-target
// logit by delta. The lemma assumes ONE margin for every query; per query the bound is a
// softmax identity (metrics/threshold.h checks it). Here the margin is uniform: a low percentile
// of the per-query margins (0 = the minimum), and the claim is tested where it can fail: the
// mean off-target mass against the bound at that margin, and the slope of ln(mean eps) against
// delta / tau (the bound's slope tends to -1 as eps -> 0), across settings that move the margin:
//   kappa  the dial's logit bias at inference (lambda fixed; kappa 0 = no bias), which adds
//          lambda kappa to the margin of every query with off-target keys;
//   tau    the attention temperature at inference, which divides the model's own logits.
// Margins are in the softmax's own units (delta / tau). Each point also gives the model's own
// margin, measured without the dial's bias.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "localist/blocks/block_map.h"
#include "localist/data/token_file.h"
#include "localist/model/gpt.h"

namespace localist {

struct ConcentrationSetting {
  double kappa = 0;  // nats; 0 = no logit bias (finite: the model's own margin needs it finite)
  double tau = 1;    // attention temperature
};

struct ConcentrationPoint {
  ConcentrationSetting setting;
  int64_t queries = 0;          // (layer, head, query) triples with target and off-target keys
  double margin_uniform = 0;    // the percentile of margin_t: delta / tau, the dial's bias included
  double margin_min = 0, margin_median = 0;
  double model_margin_uniform = 0, model_margin_median = 0;  // without the dial's bias
  double off_mass_mean = 0, off_mass_max = 0;                // measured eps_t
  double entropy_bits_mean = 0;
  double bound_mean = 0;   // mean over queries of the bound at margin_uniform
  double bound_holds = 0;  // fraction of queries with eps_t <= that bound (1e-6 tolerance)
};

// ln(y) = intercept + slope * x by least squares over the points with finite x and y > 0.
struct LogSlope {
  double slope = 0, intercept = 0;
  int64_t points = 0;  // < 2: no fit (slope NaN)
};
LogSlope fit_log_slope(const std::vector<double>& x, const std::vector<double>& y);

struct ConcentrationCurve {
  double lambda = 1;       // the dial the kappa settings scale
  double percentile = 5;   // of the per-query margins, in [0, 50]
  int64_t n_layer = 0, n_head = 0;
  std::vector<ConcentrationPoint> points;  // in the order of the settings
  LogSlope slope_uniform;  // ln(mean eps) against margin_uniform
  LogSlope slope_median;   // ... against margin_median, for comparison
  LogSlope slope_tail;     // ln(mean eps) against margin_uniform over the points whose uniform
                           // margin is > 0: the lemma's exponential regime (slope -> -1)
};

// One held-out pass per setting over `tokens` (the first max_tokens predictions; 0 = all),
// batch_size windows at a time, on `device`. The model's temperature is restored afterwards.
ConcentrationCurve measure_concentration(Gpt& model, const data::TokenFile& tokens, int64_t batch_size,
                                         const torch::Device& device, int64_t max_tokens,
                                         const BlockMap& blocks, double lambda,
                                         const std::vector<ConcentrationSetting>& settings,
                                         double percentile = 5);

// {"lambda", "percentile", "n_layer", "n_head", "points": [{kappa, tau, queries, margin_uniform,
// ...}], "slope_uniform": {slope, intercept, points}, "slope_median": ...}; non-finite numbers
// are null (JSON has none). `localist concentration --out DIR` writes it, `localist report` reads it.
nlohmann::json to_json(const ConcentrationCurve& c);

}  // namespace localist
