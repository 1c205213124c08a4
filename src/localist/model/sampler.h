#pragma once
// Autoregressive sampling with temperature and top-k, cropping the context to block_size.
#include <vector>

#include <torch/torch.h>

#include "localist/model/gpt.h"

namespace localist {

struct SampleOptions {
  int64_t max_new_tokens = 200;
  double temperature = 0.8;  // 0 = greedy
  int64_t top_k = 0;         // 0 = all tokens
  uint64_t seed = 1337;
};

std::vector<int32_t> sample(Gpt& model, std::vector<int32_t> prompt, const SampleOptions& opt,
                            const torch::Device& device);

}  // namespace localist
