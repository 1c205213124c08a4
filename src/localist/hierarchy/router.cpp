#include "localist/hierarchy/router.h"

#include "localist/core/errors.h"

namespace localist {
namespace {

torch::Tensor prior_of(const torch::Tensor& nll, const torch::Tensor& log_prior) {
  if (nll.dim() != 2 || nll.size(0) < 1)
    throw ConfigError("router: expected (models, tokens) NLLs, got " + std::to_string(nll.dim()) + " dims");
  const int64_t K = nll.size(0);
  if (!log_prior.defined()) return torch::full({K}, -std::log(static_cast<double>(K)), torch::kDouble);
  if (log_prior.numel() != K) throw ConfigError("router: the prior names " + std::to_string(log_prior.numel()) +
                                                " models, the hierarchy has " + std::to_string(K));
  return log_prior.to(torch::kDouble);
}

}  // namespace

Routed route_hard(const torch::Tensor& nll, int64_t prefix, const torch::Tensor& log_prior) {
  const auto lp = prior_of(nll, log_prior);
  const auto x = nll.to(torch::kDouble);
  const int64_t T = x.size(1);
  if (prefix < 0 || prefix > T)
    throw ConfigError("router: prefix " + std::to_string(prefix) + " outside the segment's " + std::to_string(T) + " predictions");
  Routed r;
  r.chosen = (lp - x.narrow(1, 0, prefix).sum(1)).argmax().item<int64_t>();  // log posterior
  r.nll = torch::cat({x[0].narrow(0, 0, prefix), x[r.chosen].narrow(0, prefix, T - prefix)});
  r.share = torch::zeros({x.size(0)}, torch::kDouble);
  r.share[0] += static_cast<double>(prefix) / static_cast<double>(T);
  r.share[r.chosen] += static_cast<double>(T - prefix) / static_cast<double>(T);
  r.weights = torch::zeros_like(x);
  r.weights[0].narrow(0, 0, prefix).fill_(1.0);
  r.weights[r.chosen].narrow(0, prefix, T - prefix).fill_(1.0);
  return r;
}

Routed route_soft(const torch::Tensor& nll, const torch::Tensor& log_prior) {
  const auto lp = prior_of(nll, log_prior);
  const auto x = nll.to(torch::kDouble);  // (K, T)
  // log w_k(t) = log prior_k - sum_{s<t} nll_k(s), normalised over k
  auto before = torch::cumsum(x, 1) - x;
  auto log_w = torch::log_softmax(lp.unsqueeze(1) - before, 0);
  Routed r;
  r.nll = -torch::logsumexp(log_w - x, 0);  // -log sum_k w_k p_k
  r.chosen = (lp - x.sum(1)).argmax().item<int64_t>();
  r.weights = log_w.exp();
  r.share = r.weights.mean(1);
  return r;
}

}  // namespace localist
