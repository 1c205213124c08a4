#include "localist/serve/completion_request.h"

#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "localist/core/json_text.h"
#include "localist/core/setting.h"

namespace localist::serve {
namespace {

using json = nlohmann::json;

[[noreturn]] void bad(const std::string& field, const std::string& message) {
  throw RequestError(400, field, setting(field) + ": " + message);
}

double number(const json& v, const std::string& field, double lo, double hi) {
  if (!v.is_number()) bad(field, "must be a number");
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    bad(field, "must lie in [" + json(lo).dump() + ", " + json(hi).dump() + "], got " + v.dump());
  return x;
}

int64_t integer(const json& v, const std::string& field, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) bad(field, "must be an integer");
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi))
    bad(field, "must lie in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + v.dump());
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi) bad(field, "must lie in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + v.dump());
  return x;
}

// A client's value quoted in an error: scalars, cut short; never a recursive walk of what was sent.
std::string excerpt(const json& v) {
  if (v.is_array()) return "an array of " + std::to_string(v.size()) + " items";
  if (v.is_object()) return "an object of " + std::to_string(v.size()) + " fields";
  const std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() <= 80 ? s : s.substr(0, 77) + "...";
}

// A number of nats > 0, or "inf" (the hard mask), as the config files write it.
double kappa_of(const json& v) {
  try {
    const double x = kappa_from_json(v);
    if (!(x > 0)) bad("kappa", "must be > 0 nats or \"inf\", got " + excerpt(v));
    return x;
  } catch (const ConfigError&) {
    bad("kappa", "must be a number of nats > 0 or \"inf\" (the hard mask), got " + excerpt(v));
  }
}

std::string text(const json& v, const std::string& field) {
  if (!v.is_string()) bad(field, "must be a string");
  return v.get<std::string>();
}

bool flag(const json& v, const std::string& field) {
  if (!v.is_boolean()) bad(field, "must be true or false");
  return v.get<bool>();
}

// Token ids as given (each checked against the vocabulary once the model is known).
std::vector<int32_t> ids_of(const json& v, const std::string& field) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i < v.size(); ++i)
    ids.push_back(static_cast<int32_t>(integer(v[i], field + "[" + std::to_string(i) + "]", 0, INT32_MAX)));
  return ids;
}

// OpenAI's four shapes of a prompt, one prompt per request here (it allows a batch): a string, an
// array of one string, an array of token ids, or an array of one array of token ids.
void prompt_of(const json& v, CompletionRequest& r) {
  if (v.is_string()) return void(r.prompt = v.get<std::string>());
  if (!v.is_array()) bad("prompt", "must be a string, an array of token ids, or an array of one of either");
  if (v.empty()) bad("prompt", "is empty");
  if (v[0].is_number()) return void(r.prompt_ids = ids_of(v, "prompt"));
  if (v.size() != 1) bad("prompt", "one prompt per request (an array of " + std::to_string(v.size()) + ")");
  if (v[0].is_array()) return void(r.prompt_ids = ids_of(v[0], "prompt[0]"));
  r.prompt = text(v[0], "prompt[0]");
}

// The chat messages as plain text the model continues: "role: content" lines, then "assistant:".
std::string render_messages(const json& v) {
  if (!v.is_array() || v.empty()) bad("messages", "must be a non-empty array of {role, content}");
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = "messages[" + std::to_string(i) + "]";
    if (!v[i].is_object()) bad(at, "must be an object {role, content}");
    for (const auto& [k, _] : v[i].items())
      if (k != "role" && k != "content" && k != "name") bad(at + "." + k, "unknown field");
    if (!v[i].contains("role")) bad(at + ".role", "missing");
    if (!v[i].contains("content")) bad(at + ".content", "missing");
    const auto role = text(v[i]["role"], at + ".role");
    if (role != "system" && role != "user" && role != "assistant")
      bad(at + ".role", "must be system, user or assistant, got \"" + role + "\"");
    if (v[i].contains("name")) text(v[i]["name"], at + ".name");  // taken, not rendered: but a string
    out += role + ": " + text(v[i]["content"], at + ".content") + "\n";
  }
  return out + "assistant:";
}

std::vector<std::string> stops_of(const json& v) {
  if (v.is_null()) return {};
  if (v.is_string()) return {v.get<std::string>()};
  if (!v.is_array() || v.size() > 4) bad("stop", "must be a string or an array of at most 4 strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) out.push_back(text(v[i], "stop[" + std::to_string(i) + "]"));
  for (const auto& s : out)
    if (s.empty()) bad("stop", "an empty stop sequence would stop at once");
  return out;
}

// OpenAI fields this server does not implement, taken when they ask for OpenAI's default (a
// client library or framework may send them always), refused naming the field otherwise.
bool neutral_openai_field(const std::string& k, const json& v) {
  if (v.is_null()) return true;
  if (k == "top_p") return v.is_number() && v.get<double>() == 1.0;
  if (k == "frequency_penalty" || k == "presence_penalty") return v.is_number() && v.get<double>() == 0.0;
  if (k == "best_of") return v.is_number_integer() && v.get<int64_t>() == 1;
  if (k == "logit_bias") return v.is_object() && v.empty();
  if (k == "stream_options") return v.is_object();  // usage comes in the last chunk anyway
  if (k == "response_format") return v.is_object() && v.size() == 1 && v.contains("type") && v["type"] == "text";
  return false;  // "suffix", "tools", ...: only null
}

const std::set<std::string> kOpenAIUnimplemented = {"top_p", "frequency_penalty", "presence_penalty", "best_of",
                                                    "logit_bias", "stream_options", "response_format", "suffix"};

// "logprobs" and "echo" (completions), "logprobs" and "top_logprobs" (chat): into r.logprobs, r.echo.
void read_logprobs(const json& j, bool chat, CompletionRequest& r) {
  const auto given = [&](const char* k) { return j.contains(k) && !j[k].is_null(); };
  if (!chat) {
    if (given("logprobs")) r.logprobs = integer(j["logprobs"], "logprobs", 0, kMaxTopLogprobs);
    if (given("echo")) r.echo = flag(j["echo"], "echo");
    return;
  }
  const bool on = given("logprobs") && flag(j["logprobs"], "logprobs");
  if (given("top_logprobs") && !on) bad("top_logprobs", "needs \"logprobs\": true");
  if (on) r.logprobs = given("top_logprobs") ? integer(j["top_logprobs"], "top_logprobs", 0, kMaxTopLogprobs) : 0;
}

// The body as a JSON object, depth-limited: a body nested 100,000 deep once overflowed the stack
// (rejects ill-formed UTF-8 too).
json body_object(const std::string& body) {
  std::string error;
  json j = parse_json_text(body, &error);
  if (j.is_discarded()) throw RequestError(400, "", "malformed JSON body: " + error);
  if (!j.is_object()) throw RequestError(400, "", "the body must be a JSON object");
  return j;
}

}  // namespace

CompletionRequest parse_completion_request(const std::string& body, bool chat, const RequestLimits& limits) {
  const json j = body_object(body);
  static const std::set<std::string> common = {"model", "max_tokens", "temperature", "top_k", "seed", "stop",
                                               "stream", "n", "user", "lambda", "kappa", "rules", "explain",
                                               "logprobs"};
  const std::string own = chat ? "top_logprobs" : "echo";
  CompletionRequest r;
  r.chat = chat;
  for (const auto& [k, v] : j.items()) {
    if (k == (chat ? "messages" : "prompt")) {
      if (chat) r.prompt = render_messages(v);
      else prompt_of(v, r);
    } else if (chat && k == "max_completion_tokens") {
      r.max_tokens = integer(v, k, 0, limits.max_tokens);
    } else if (k == own || k == "logprobs") {
      // read_logprobs below (chat's pair is read together)
    } else if (kOpenAIUnimplemented.count(k)) {
      if (!neutral_openai_field(k, v)) bad(k, "not supported by this server (only OpenAI's default, got " + excerpt(v) + ")");
    } else if (!common.count(k)) {
      bad(k, "unknown field (this server takes: " + std::string(chat ? "messages" : "prompt") +
                 ", model, max_tokens, temperature, top_k, seed, stop, stream, n, user, logprobs, " + own +
                 ", lambda, kappa, rules, explain)");
    } else if (k == "model") {
      r.model = text(v, k);
    } else if (k == "max_tokens") {
      r.max_tokens = integer(v, k, 0, limits.max_tokens);
    } else if (k == "temperature") {
      r.temperature = number(v, k, 0, 2);
    } else if (k == "top_k") {
      r.top_k = integer(v, k, 0, 1 << 30);
    } else if (k == "seed") {
      r.seed = static_cast<uint64_t>(integer(v, k, 0, INT64_MAX));
    } else if (k == "stop") {
      r.stop = stops_of(v);
    } else if (k == "stream") {
      r.stream = flag(v, k);
    } else if (k == "n") {
      integer(v, k, 1, 1);  // one choice per request
    } else if (k == "user") {
      r.user = text(v, k);
    } else if (k == "lambda") {
      r.lambda = number(v, k, 0, 1);
    } else if (k == "kappa") {
      r.kappa = kappa_of(v);
    } else if (k == "rules") {
      r.rules = text(v, k);
    } else if (k == "explain") {
      r.explain = flag(v, k);
    }
  }
  if (!j.contains(chat ? "messages" : "prompt")) bad(chat ? "messages" : "prompt", "missing");
  if (r.prompt.empty() && r.prompt_ids.empty()) bad("prompt", "is empty");
  read_logprobs(j, chat, r);
  if (r.max_tokens == 0 && !r.echo)
    bad("max_tokens", "must be at least 1 (0 only with echo: the prompt scored alone)");
  // not streamed (yet): a client asks for these to score text, not to watch it arrive
  if (r.logprobs >= 0 && r.stream) bad("logprobs", "not streamed by this server: ask without stream");
  if (r.echo && r.stream) bad("echo", "not streamed by this server: ask without stream");
  return r;
}

TokenizeRequest parse_tokenize_request(const std::string& body, bool detokenize) {
  const json j = body_object(body);
  const std::string need = detokenize ? "tokens" : "prompt";
  TokenizeRequest r;
  for (const auto& [k, v] : j.items()) {
    if (k == need) {
      if (detokenize && !v.is_array()) bad(k, "must be an array of token ids");
      if (detokenize) r.tokens = ids_of(v, k);
      else r.prompt = text(v, k);
    } else if (k == "model") {
      r.model = text(v, k);
    } else if (!detokenize && k == "add_special_tokens") {
      flag(v, k);  // this server's tokenizers add none either way
    } else {
      bad(k, "unknown field (this route takes: " + need + ", model" + (detokenize ? "" : ", add_special_tokens") + ")");
    }
  }
  if (!j.contains(need)) bad(need, "missing");
  return r;
}

}  // namespace localist::serve
