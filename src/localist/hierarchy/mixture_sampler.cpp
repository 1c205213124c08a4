#include "localist/hierarchy/mixture_sampler.h"

#include <algorithm>
#include <cmath>

#include "localist/core/errors.h"

namespace localist {
namespace {

// Normalised in place (log-sum-exp); returns the weights themselves.
std::vector<double> normalise(std::vector<double>& log_w) {
  const double top = *std::max_element(log_w.begin(), log_w.end());
  double z = 0;
  for (double v : log_w) z += std::exp(v - top);
  std::vector<double> w;
  for (double& v : log_w) v -= top + std::log(z), w.push_back(std::exp(v));
  return w;
}

}  // namespace

std::vector<int32_t> sample_mixture(const std::vector<MixtureMember>& members, std::vector<int32_t> prompt,
                                    std::vector<double> log_prior, const SampleOptions& opt,
                                    const torch::Device& device, const MixtureCallback& each) {
  if (members.empty() || log_prior.size() != members.size())
    throw InternalError("sample_mixture: one log prior per member is needed");
  if (opt.temperature < 0) throw ConfigError("temperature must be >= 0");
  if (opt.top_k < 0) throw ConfigError("top_k must be >= 0");
  if (prompt.empty()) throw ConfigError("the prompt encodes to no tokens; give a non-empty prompt");
  for (const auto& m : members) m.dial.validate();
  torch::NoGradGuard no_grad;
  auto gen = at::detail::createCPUGenerator(opt.seed);
  std::vector<double> log_w = std::move(log_prior);
  for (int64_t i = 0; i < opt.max_new_tokens; ++i) {
    const auto w = normalise(log_w);
    std::vector<torch::Tensor> log_p;  // each member's log p_k(. | context), (V)
    for (const auto& m : members) {
      SampleOptions own = opt;
      own.blocks = m.blocks, own.dial = m.dial;
      log_p.push_back(torch::log_softmax(next_token_logits(*m.model, prompt, own, device).to(torch::kDouble), -1));
    }
    auto mixed = torch::stack(log_p) + torch::tensor(log_w, torch::kDouble).unsqueeze(1);  // (K, V)
    torch::Tensor probs;
    const int64_t next = draw(torch::logsumexp(mixed, 0).to(torch::kFloat), opt, gen, &probs);
    for (size_t k = 0; k < members.size(); ++k) log_w[k] += log_p[k][next].item<double>();
    prompt.push_back(static_cast<int32_t>(next));
    if (each && !each(static_cast<int32_t>(next), probs, w)) break;
  }
  return prompt;
}

}  // namespace localist
