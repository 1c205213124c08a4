// The `requests` fuzz target on its own file: it needs no LibTorch, so it also builds alone in a
// minute (docs/reliability.md gives the command) where the full fuzz build takes most of an hour.
#include <stdexcept>
#include <string>

#include "fuzz_targets.h"
#include "refusal.h"
#include "localist/serve/completion_request.h"

namespace localist::fuzz {

// First byte: bit 1 set, a /tokenize (bit 0 clear) or /detokenize (set) body; else a completion
// (bit 0: chat). The rest is the body.
bool requests(std::string_view bytes) {
  if (bytes.empty()) return false;
  const bool chat = bytes[0] & 1, tokenizer = bytes[0] & 2;
  const std::string body(bytes.substr(1));
  return refusal_ok([&] {
    if (tokenizer) return void(serve::parse_tokenize_request(body, chat));
    const auto r = serve::parse_completion_request(body, chat, serve::RequestLimits{256});
    if (r.prompt.empty() && r.prompt_ids.empty()) throw std::logic_error("an accepted request with an empty prompt");
    if (r.logprobs < -1 || r.logprobs > serve::kMaxTopLogprobs) throw std::logic_error("logprobs out of range");
    if (r.max_tokens < 0 || (r.max_tokens == 0 && !r.echo)) throw std::logic_error("max_tokens 0 without echo");
  });
}

}  // namespace localist::fuzz
