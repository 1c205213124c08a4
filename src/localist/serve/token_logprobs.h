#pragma once
// OpenAI's `logprobs` of a completion: each token's log-probability under the request's dial and
// rules (the model's distribution before temperature and top-k, as OpenAI and vLLM report it),
// its likeliest alternatives, and where it starts in the returned text; with `echo`, the prompt's
// tokens first (the first has nothing before it: null). Two layouts: the legacy completions'
// parallel arrays and chat's list of objects.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "localist/data/tokenizer.h"

namespace localist::serve {

struct ScoredToken {
  std::string text;                                  // the token decoded alone
  std::optional<double> logprob;                     // none: an echoed prompt's first token
  std::vector<std::pair<std::string, double>> top;   // the likeliest tokens at its position
  int64_t offset = 0;                                // bytes into the returned text
};

// ids[first..] scored with `lp` (ids.size() - 1, V): row i the distribution of ids[i + 1]; `top_n`
// alternatives each. Offsets are bytes into the decoded ids[first..] (with echo: the prompt as the
// model read it, then the completion).
std::vector<ScoredToken> score_tokens(const torch::Tensor& lp, const std::vector<int32_t>& ids, size_t first,
                                      int64_t top_n, const data::Tokenizer& tok);

// {"tokens", "token_logprobs", "top_logprobs", "text_offset"} (/v1/completions).
nlohmann::json completion_logprobs(const std::vector<ScoredToken>& tokens);
// {"content": [{"token", "logprob", "bytes", "top_logprobs": [{"token", "logprob", "bytes"}]}]} (chat).
nlohmann::json chat_logprobs(const std::vector<ScoredToken>& tokens);

}  // namespace localist::serve
