#include "localist/model/sampler.h"

#include "localist/core/errors.h"

namespace localist {

torch::Tensor next_token_logits(Gpt& model, const std::vector<int32_t>& context,
                                const SampleOptions& opt, const torch::Device& device) {
  if (context.empty()) throw ConfigError("the prompt encodes to no tokens; give a non-empty prompt");
  torch::NoGradGuard no_grad;
  const int64_t T = model->cfg.context_length;
  const int64_t start = std::max<int64_t>(0, static_cast<int64_t>(context.size()) - T);
  std::vector<int64_t> ctx(context.begin() + start, context.end());
  auto idx = torch::tensor(ctx, torch::kLong).unsqueeze(0).to(device);  // (1, t)
  std::vector<torch::Tensor> biases;  // none: ordinary attention
  if (opt.blocks && opt.dial.active())  // the layout of this step's (cropped) context
    biases = dial_biases(opt.blocks->layout(idx), opt.dial, model->cfg.n_layer, model->cfg.causal);
  return model->forward(idx, false, biases).logits.index({0, -1}).to(torch::kFloat).cpu();  // (V)
}

int64_t draw(torch::Tensor logits, const SampleOptions& opt, at::Generator& gen, torch::Tensor* probs) {
  if (opt.temperature == 0) {
    if (probs) *probs = torch::softmax(logits, -1);
    return logits.argmax().item<int64_t>();
  }
  logits = logits / opt.temperature;
  if (opt.top_k > 0 && opt.top_k < logits.size(0)) {
    auto kth = std::get<0>(logits.topk(opt.top_k)).index({-1});
    logits = logits.masked_fill(logits < kth, -std::numeric_limits<float>::infinity());
  }
  auto p = torch::softmax(logits, -1);
  if (probs) *probs = p;
  return torch::multinomial(p, 1, false, gen).item<int64_t>();
}

std::vector<int32_t> sample(Gpt& model, std::vector<int32_t> prompt, const SampleOptions& opt,
                            const torch::Device& device, const TokenCallback& each) {
  if (opt.temperature < 0) throw ConfigError("temperature must be >= 0");
  if (opt.top_k < 0) throw ConfigError("top_k must be >= 0");
  if (prompt.empty()) throw ConfigError("the prompt encodes to no tokens; give a non-empty prompt");
  opt.dial.validate();
  torch::NoGradGuard no_grad;
  if (model->is_training()) model->eval();  // a server's threads share the model: no write once in eval
  auto gen = at::detail::createCPUGenerator(opt.seed);
  std::vector<int32_t> out = prompt;
  for (int64_t i = 0; i < opt.max_new_tokens; ++i) {
    torch::Tensor probs;
    const int64_t next = draw(next_token_logits(model, out, opt, device), opt, gen, each ? &probs : nullptr);
    out.push_back(static_cast<int32_t>(next));
    if (each && !each(static_cast<int32_t>(next), probs)) break;
  }
  return out;
}

}  // namespace localist
