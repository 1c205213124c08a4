#pragma once
// One request to `localist serve` (docs/serve.md): the body of an OpenAI-style
// POST /v1/completions or /v1/chat/completions, checked field by field. Every mistake is a
// RequestError naming the field (the server answers 4xx with it and goes on serving): malformed
// JSON or invalid UTF-8, a wrong type, a value out of range, an unknown field.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "localist/core/errors.h"

namespace localist::serve {

struct RequestError : UserError {
  RequestError(int status, std::string field, const std::string& message)
      : UserError(message), status(status), field(std::move(field)) {}
  int status;         // 400, 401, 404, 413, 503
  std::string field;  // the request field at fault ("" = the request as a whole)
};

struct RequestLimits {
  int64_t max_tokens = 512;  // the most a request may ask for (--max-tokens)
};

constexpr int64_t kMaxTopLogprobs = 20;  // alternatives per token (vLLM's bound; OpenAI's is 5 and 20)

struct CompletionRequest {
  bool chat = false;
  std::string model;   // "" = not given
  std::string prompt;  // chat: the messages rendered as "role: content" lines, then "assistant:"
  std::vector<int32_t> prompt_ids;  // completions: the prompt given as token ids (then `prompt` is "")
  int64_t max_tokens = 16;          // 0 only with echo: the prompt scored, nothing generated
  double temperature = 1.0;
  int64_t top_k = 0;
  std::optional<uint64_t> seed;  // none: the server draws one (and reports it)
  std::vector<std::string> stop;
  bool stream = false;
  std::string user;
  // log-probabilities (OpenAI's): -1 none; n >= 0 each token's, with its n likeliest alternatives
  // (completions: "logprobs": n; chat: "logprobs": true, "top_logprobs": n); echo (completions):
  // the prompt's tokens first, each scored given the ones before it
  int64_t logprobs = -1;
  bool echo = false;
  // beyond OpenAI's: the dial (defaults: the checkpoint's), a rules set loaded at start by name,
  // and the per-token audit
  std::optional<double> lambda, kappa;
  std::string rules;
  bool explain = false;
};

// Throws RequestError (400) naming the field.
CompletionRequest parse_completion_request(const std::string& body, bool chat, const RequestLimits& limits);

// POST /tokenize {"prompt", "add_special_tokens"} and /detokenize {"tokens"} (vLLM's routes, which
// lm-evaluation-harness uses to tokenize with the served model's own tokenizer). Throws RequestError.
struct TokenizeRequest {
  std::string model;            // "" = not given
  std::string prompt;           // tokenize
  std::vector<int32_t> tokens;  // detokenize
};
TokenizeRequest parse_tokenize_request(const std::string& body, bool detokenize);

}  // namespace localist::serve
