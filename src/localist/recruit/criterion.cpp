#include "localist/recruit/criterion.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "localist/core/errors.h"

namespace localist {
namespace {

double ln_choose(double n, double k) { return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1); }

std::string counts_text(const RuleCode& r) {
  std::string s = "M " + std::to_string(r.parent_types) + ", m_i";
  for (auto m : r.block_sizes) s += " " + std::to_string(m);
  s += ", a_i";
  for (auto a : r.anchors) s += " " + std::to_string(a);
  return s;
}

}  // namespace

int64_t RuleCode::types() const {
  int64_t m = 0;
  for (auto mi : block_sizes) m += mi;
  return m;
}

double rule_code_nats(const RuleCode& r) {
  const int64_t j = r.blocks(), m = r.types();
  bool bad = r.parent_types < m || (!r.anchors.empty() && r.anchors.size() != r.block_sizes.size());
  for (int64_t i = 0; i < j; ++i)
    bad |= r.block_sizes[i] < 1 || (!r.anchors.empty() && (r.anchors[i] < 0 || r.anchors[i] > r.block_sizes[i]));
  if (bad) throw ConfigError("recruitment criterion: impossible rule counts (" + counts_text(r) + ")");
  if (j == 0) return 0;
  const double M = static_cast<double>(r.parent_types), md = static_cast<double>(m), jd = static_cast<double>(j);
  double nats = std::log(M) + ln_choose(M, md) + std::log(md) + ln_choose(md - 1, jd - 1) + std::lgamma(md + 1) -
                std::lgamma(jd + 1);
  for (int64_t i = 0; i < j; ++i) {
    const double mi = static_cast<double>(r.block_sizes[i]);
    nats -= std::lgamma(mi + 1);
    if (!r.anchors.empty()) nats += std::log(mi + 1) + ln_choose(mi, static_cast<double>(r.anchors[i]));
  }
  return nats;
}

CriterionTerms recruitment_terms(int64_t params_added, int64_t train_tokens, int64_t vocab,
                                 const RuleCode& rule, double data_without, double data_with, double theta) {
  if (params_added < 0 || train_tokens < 2 || vocab < 1 || rule.types() > vocab)
    throw ConfigError("recruitment criterion: impossible counts (k " + std::to_string(params_added) +
                      ", N " + std::to_string(train_tokens) + ", V " + std::to_string(vocab) +
                      ", m " + std::to_string(rule.types()) + ")");
  if (!std::isfinite(data_without) || !std::isfinite(data_with))
    throw ConfigError("recruitment criterion: a held-out NLL is not finite");
  CriterionTerms t;
  t.params_added = params_added, t.train_tokens = train_tokens, t.vocab = vocab, t.rule = rule;
  t.theta = theta;
  t.threshold = theta * static_cast<double>(std::max<int64_t>(1, rule.blocks()));
  const double N = static_cast<double>(train_tokens);
  t.model_params_nats = 0.5 * static_cast<double>(params_added) * std::log(N) / N;
  t.model_rule_nats = rule_code_nats(rule) / N;
  t.delta_model = t.model_params_nats + t.model_rule_nats;
  t.data_without = data_without, t.data_with = data_with;
  t.delta_data = data_with - data_without;
  t.delta_total = t.delta_model + t.delta_data;
  t.total_hi = t.delta_total;  // no interval yet
  t.accept = t.delta_total < -t.threshold;
  return t;
}

void add_pointer(CriterionTerms& t, double pointer) {
  if (!std::isfinite(pointer)) throw ConfigError("recruitment criterion: the pointer's saving is not finite");
  t.pointer = pointer;
  t.delta_total = t.delta_model + t.delta_data - pointer;
  t.total_hi = t.delta_total;
  t.accept = t.delta_total < -t.threshold;
}

void require_confidence(CriterionTerms& t, double hi) {
  if (!std::isfinite(hi)) throw ConfigError("recruitment criterion: the interval's upper end is not finite");
  t.total_hi = t.delta_model + hi;
  t.confident = t.total_hi < 0;
  t.accept = t.delta_total < -t.threshold && t.confident;
}

void check_theta_ratio(double theta_llm, double theta_block) {
  if (!(theta_block > 0) || !(theta_llm > 0))
    throw ConfigError("theta_LLM and theta_block must be > 0 (nats/token)");
  const double r = theta_llm / theta_block;
  if (r < 50 || r > 200)
    throw ConfigError("theta_LLM / theta_block = " + std::to_string(theta_llm) + " / " + std::to_string(theta_block) +
                      " = " + std::to_string(r) + " lies outside [50, 200] (docs/design.md §1.6)");
}

int64_t max_recruitments(int64_t positions, double h_min, double theta) {
  if (positions < 1 || theta <= 0) throw ConfigError("p_max needs positions >= 1 and theta > 0");
  const double span = std::log(static_cast<double>(positions)) - h_min;
  return span <= 0 ? 0 : static_cast<int64_t>(std::ceil(span / theta));
}

}  // namespace localist
