#include "localist/model/log_probs.h"

#include <string>

#include "localist/core/errors.h"

namespace localist {

torch::Tensor log_probs(Gpt& model, const BlockMap& blocks, const Dial& dial, const std::vector<int32_t>& tokens) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n < 2) throw DataError("a sequence needs at least 2 tokens to score");
  if (n - 1 > model->cfg.context_length)
    throw ConfigError("a sequence of " + std::to_string(n) + " tokens does not fit a context of " +
                      std::to_string(model->cfg.context_length) + " + 1");
  torch::NoGradGuard no_grad;
  const auto device = model->parameters().front().device();
  auto ids = torch::tensor(std::vector<int64_t>(tokens.begin(), tokens.end()), torch::kLong).to(device);
  auto x = ids.narrow(0, 0, n - 1).unsqueeze(0);                                    // (1, n-1)
  auto logits = model->forward(x, false, dial_biases(blocks, x, dial, model->cfg)).logits.squeeze(0);  // (n-1, V)
  return torch::log_softmax(logits.to(torch::kDouble), -1).cpu();
}

}  // namespace localist
