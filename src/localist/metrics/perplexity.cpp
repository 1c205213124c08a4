#include "localist/metrics/perplexity.h"

#include <cmath>

#include "localist/data/batcher.h"

namespace localist {

EvalResult evaluate(Gpt& model, const data::TokenFile& tokens, int64_t batch_size,
                    const torch::Device& device, int64_t max_tokens, TokenScores* per_token,
                    const LocalistEval& localist) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  double nll_sum = 0;
  int64_t correct = 0, count = 0;
  if (per_token) {
    per_token->nll.assign(tokens.size(), 0.0f);
    per_token->correct.assign(tokens.size(), 0);
  }
  int64_t position = 1;  // windows are consecutive: the next target's position in `tokens`
  for (const auto& b : data::sequential_batches(tokens, batch_size, model->cfg.context_length,
                                                max_tokens)) {
    auto x = b.x.to(device), y = b.y.to(device);
    // The block layout is needed only for the dial or the attention metrics.
    const bool need_attn = localist.blocks && localist.attention;
    const bool dialled = localist.blocks && localist.dial.active();
    const bool flash = localist.blocks && localist.flash;
    BlockLayout layout;
    std::vector<torch::Tensor> biases;
    std::vector<BlockBias> flash_biases;  // one per layer
    if (need_attn || dialled || flash) layout = localist.blocks->layout(b.x, device);
    if (flash) {
      flash_biases = block_biases(layout, localist.dial, model->cfg.n_layer, model->cfg.causal);
    } else if (dialled) {
      biases = dial_biases(layout, localist.dial, model->cfg.n_layer, model->cfg.causal);
    }
    auto out = model->forward(x, need_attn && !flash, biases, nullptr, flash ? &flash_biases : nullptr);
    if (need_attn && flash) localist.attention->add_flash(out.flash, flash_biases[0], y.ne(-1));
    else if (need_attn) localist.attention->add(out.attn, layout, y.ne(-1));
    auto logits = out.logits.to(torch::kFloat);  // (B, T, V)
    auto flat = logits.reshape({-1, logits.size(-1)});
    auto target = y.reshape({-1});
    auto scored = target.ne(-1);
    auto nll = torch::nn::functional::cross_entropy(
        flat, target,
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-1).reduction(torch::kNone));
    auto hit = flat.argmax(-1).eq(target) & scored;
    nll_sum += nll.sum().item<double>();
    correct += hit.sum().item<int64_t>();
    count += scored.sum().item<int64_t>();
    if (per_token) {  // rows are in order; padded targets (-1) only at the very end
      auto n = nll.masked_select(scored).cpu().contiguous();
      auto h = hit.masked_select(scored).to(torch::kUInt8).cpu().contiguous();
      const float* np = n.data_ptr<float>();
      const uint8_t* hp = h.data_ptr<uint8_t>();
      for (int64_t i = 0; i < n.numel(); ++i, ++position) {
        per_token->nll[position] = np[i];
        per_token->correct[position] = hp[i];
      }
    }
  }
  if (was_training) model->train();
  EvalResult r;
  r.tokens = count;
  r.nll = count ? nll_sum / count : 0;
  r.perplexity = std::exp(r.nll);
  r.accuracy = count ? static_cast<double>(correct) / count : 0;
  return r;
}

}  // namespace localist
