#pragma once
// The model's next-token log-probabilities along a sequence, under a dial and its blocks: what a
// served completion's `logprobs`/`echo` report and what a hierarchy's router scores with. One
// causal forward, so row i is exactly the distribution the sampler drew token i + 1 from (before
// temperature and top-k) when the whole sequence fits the context.
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"

namespace localist {

// (n - 1, V) double on the CPU: row i = log P(. | tokens[0..i]). Throws DataError for fewer than 2
// tokens, ConfigError when the n - 1 inputs do not fit the context.
torch::Tensor log_probs(Gpt& model, const BlockMap& blocks, const Dial& dial, const std::vector<int32_t>& tokens);

}  // namespace localist
