#include "localist/recruit/criterion.h"

#include <cmath>
#include <string>

#include "localist/core/errors.h"

namespace localist {

CriterionTerms recruitment_terms(int64_t params_added, int64_t train_tokens, int64_t vocab,
                                 int64_t block_types, double data_without, double data_with,
                                 double theta, const std::vector<int64_t>& block_sizes) {
  int64_t listed = 0;  // the blocks' sizes, when given, must be counts summing to m
  bool negative = false;
  for (auto mi : block_sizes) listed += mi, negative |= mi < 0;
  if (params_added < 0 || train_tokens < 2 || vocab < 1 || block_types < 0 || block_types > vocab || negative ||
      (!block_sizes.empty() && listed != block_types))
    throw ConfigError("recruitment criterion: impossible counts (k " + std::to_string(params_added) +
                      ", N " + std::to_string(train_tokens) + ", V " + std::to_string(vocab) +
                      ", m " + std::to_string(block_types) + ")");
  if (!std::isfinite(data_without) || !std::isfinite(data_with))
    throw ConfigError("recruitment criterion: a held-out NLL is not finite");
  CriterionTerms t;
  t.params_added = params_added, t.train_tokens = train_tokens, t.vocab = vocab;
  t.block_types = block_types, t.theta = theta;
  const double N = static_cast<double>(train_tokens);
  t.model_params_nats = 0.5 * static_cast<double>(params_added) * std::log(N) / N;
  const double V = static_cast<double>(vocab), m = static_cast<double>(block_types);
  const auto ln_choose = [](double n, double k) { return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1); };
  t.block_sizes = block_sizes;
  double which = 0;  // ln (m! / prod m_i!): which of the m types forms each block
  if (block_sizes.size() > 1) {
    which = std::lgamma(m + 1);
    for (auto mi : block_sizes) which -= std::lgamma(static_cast<double>(mi) + 1);
  }
  t.model_rule_nats = (ln_choose(V, m) + which) / N;
  t.delta_model = t.model_params_nats + t.model_rule_nats;
  t.data_without = data_without, t.data_with = data_with;
  t.delta_data = data_with - data_without;
  t.delta_total = t.delta_model + t.delta_data;
  t.total_hi = t.delta_total;  // no interval yet
  t.accept = t.delta_total < -theta;
  return t;
}

void require_confidence(CriterionTerms& t, double data_hi) {
  if (!std::isfinite(data_hi)) throw ConfigError("recruitment criterion: the interval of Delta L_data is not finite");
  t.total_hi = t.delta_model + data_hi;
  t.confident = t.total_hi < 0;
  t.accept = t.accept && t.confident;
}

void check_theta_ratio(double theta_llm, double theta_block) {
  if (!(theta_block > 0) || !(theta_llm > 0))
    throw ConfigError("theta_LLM and theta_block must be > 0 (nats/token)");
  const double r = theta_llm / theta_block;
  if (r < 50 || r > 200)
    throw ConfigError("theta_LLM / theta_block = " + std::to_string(theta_llm) + " / " + std::to_string(theta_block) +
                      " = " + std::to_string(r) + " lies outside [50, 200] (docs/design.md §1.6)");
}

int64_t max_recruitments(int64_t vocab, double h_min, double theta) {
  if (vocab < 1 || theta <= 0) throw ConfigError("p_max needs vocab >= 1 and theta > 0");
  const double span = std::log(static_cast<double>(vocab)) - h_min;
  return span <= 0 ? 0 : static_cast<int64_t>(std::ceil(span / theta));
}

}  // namespace localist
