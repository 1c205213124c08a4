#pragma once
// Autoregressive sampling with temperature and top-k, cropping the context to context_length.
// With a block map and an active dial, every step's forward carries the dial's logit bias for
// the layout of the context it reads (the dial moves at inference, docs/design.md §1.2).
#include <functional>
#include <vector>

#include <torch/torch.h>

#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"

namespace localist {

struct SampleOptions;
// Where a step's next-token logits come from, if not one forward of its own (a server batching
// concurrent requests into one forward: serve/batcher.h).
using LogitsSource = std::function<torch::Tensor(Gpt& model, const std::vector<int32_t>& context,
                                                 const SampleOptions& opt)>;

struct SampleOptions {
  int64_t max_new_tokens = 200;
  double temperature = 0.8;  // 0 = greedy
  int64_t top_k = 0;         // 0 = all tokens
  uint64_t seed = 1337;
  const BlockMap* blocks = nullptr;  // null: ordinary attention (the dial needs blocks)
  Dial dial;                         // applied when blocks is set and dial.active()
  LogitsSource logits;               // empty: next_token_logits runs its own forward
};

// The next-token logits (V) float on the CPU after `context` (its last context_length tokens),
// with the options' dial applied: one step of sample() (dropout as the model is set: eval());
// from opt.logits when set.
torch::Tensor next_token_logits(Gpt& model, const std::vector<int32_t>& context,
                                const SampleOptions& opt, const torch::Device& device);

// Several contexts' next-token logits from one forward of the model: each cropped as above,
// right-padded to the longest (a causal model's queries never see the padding; a leaking one's
// padded keys are masked), each under its own blocks and dial. Equal, to float rounding, to
// next_token_logits of each.
struct LogitsQuery {
  const std::vector<int32_t>* context = nullptr;
  const BlockMap* blocks = nullptr;
  Dial dial;
};
std::vector<torch::Tensor> next_token_logits_batch(Gpt& model, const std::vector<LogitsQuery>& queries,
                                                   const torch::Device& device);

// Called after each sampled token with the distribution it was drawn from (V, after temperature
// and top-k; greedy: the softmax of the logits); returning false stops sampling there (a
// server's client went away, a stop sequence was met).
using TokenCallback = std::function<bool(int32_t token, const torch::Tensor& probs)>;

// One token drawn from `logits` (V, float, CPU) under the options' temperature and top-k
// (temperature 0: the argmax); `probs` (if given) gets the distribution it was drawn from
// (greedy: the softmax of the logits). A mixture of models draws from the log of its mixed
// probabilities through the same function.
int64_t draw(torch::Tensor logits, const SampleOptions& opt, at::Generator& gen, torch::Tensor* probs);

std::vector<int32_t> sample(Gpt& model, std::vector<int32_t> prompt, const SampleOptions& opt,
                            const torch::Device& device, const TokenCallback& each = {});

}  // namespace localist
