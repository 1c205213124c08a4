#include "localist/model/sampler.h"

#include "localist/core/errors.h"

namespace localist {

std::vector<int32_t> sample(Gpt& model, std::vector<int32_t> prompt, const SampleOptions& opt,
                            const torch::Device& device) {
  if (opt.temperature < 0) throw ConfigError("temperature must be >= 0");
  if (opt.top_k < 0) throw ConfigError("top_k must be >= 0");
  if (prompt.empty()) throw ConfigError("the prompt encodes to no tokens; give a non-empty prompt");
  torch::NoGradGuard no_grad;
  model->eval();
  auto gen = at::detail::createCPUGenerator(opt.seed);
  std::vector<int32_t> out = prompt;
  const int64_t T = model->cfg.block_size;
  for (int64_t i = 0; i < opt.max_new_tokens; ++i) {
    const int64_t start = std::max<int64_t>(0, static_cast<int64_t>(out.size()) - T);
    std::vector<int64_t> ctx(out.begin() + start, out.end());
    auto idx = torch::tensor(ctx, torch::kLong).unsqueeze(0).to(device);  // (1, t)
    auto logits = model->forward(idx).logits.index({0, -1}).to(torch::kFloat).cpu();  // (V)
    int64_t next;
    if (opt.temperature == 0) {
      next = logits.argmax().item<int64_t>();
    } else {
      logits = logits / opt.temperature;
      if (opt.top_k > 0 && opt.top_k < logits.size(0)) {
        auto kth = std::get<0>(logits.topk(opt.top_k)).index({-1});
        logits = logits.masked_fill(logits < kth, -std::numeric_limits<float>::infinity());
      }
      auto probs = torch::softmax(logits, -1);
      next = torch::multinomial(probs, 1, false, gen).item<int64_t>();
    }
    out.push_back(static_cast<int32_t>(next));
  }
  return out;
}

}  // namespace localist
