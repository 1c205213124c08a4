#pragma once
// Sampling from a soft hierarchy's gated mixture (router.h): token t is drawn from
// p(x_t) = sum_k w_k(t) p_k(x_t), each model predicting under its own blocks and dial, with
// w_k(t) the posterior over the models given every token before t (Bayes' rule on their own
// predictions: w_k(t+1) is proportional to w_k(t) p_k(x_t), the drawn token's probability before
// temperature and top-k). Temperature and top-k apply to the mixture (model/sampler.h draw()).
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"
#include "localist/model/sampler.h"

namespace localist {

struct MixtureMember {
  Gpt* model = nullptr;
  const BlockMap* blocks = nullptr;  // null: ordinary attention
  Dial dial;
};

// After each token: the mixture it was drawn from (V, after temperature and top-k) and the
// weights w(t) (K, summing to 1) that mixed it; false stops sampling.
using MixtureCallback =
    std::function<bool(int32_t token, const torch::Tensor& probs, const std::vector<double>& weights)>;

// log_prior: (K) log weights after the prompt (any constant offset), e.g. minus each model's
// NLL of the prompt's predictions. opt's blocks and dial are ignored (each member has its own).
std::vector<int32_t> sample_mixture(const std::vector<MixtureMember>& members, std::vector<int32_t> prompt,
                                    std::vector<double> log_prior, const SampleOptions& opt,
                                    const torch::Device& device, const MixtureCallback& each = {});

}  // namespace localist
