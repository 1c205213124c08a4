// The request checks of `localist serve` (serve/completion_request): what an OpenAI client sends
// is read as it means it; every mistake is a 400 naming the field.
#include <cmath>
#include <tuple>

#include <gtest/gtest.h>

#include "localist/serve/completion_request.h"

namespace localist::serve {
namespace {

const RequestLimits kLimits{100};

// The field a bad body is refused for (fails the test if it is accepted).
std::string refused(const std::string& body, bool chat = false) {
  try {
    parse_completion_request(body, chat, kLimits);
  } catch (const RequestError& e) {
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_NE(std::string(e.what()).find(e.field), std::string::npos) << e.what();
    return e.field;
  }
  ADD_FAILURE() << "accepted: " << body;
  return "(accepted)";
}

TEST(CompletionRequest, ReadsWhatAnOpenAIClientSends) {
  const auto r = parse_completion_request(
      R"({"model":"m","prompt":"hello","max_tokens":7,"temperature":0,"seed":42,"stop":["\n"],"stream":true,
          "n":1,"user":"u1","lambda":0.6,"kappa":5,"rules":"legal","explain":true,"top_k":3})",
      false, kLimits);
  EXPECT_EQ(r.model, "m");
  EXPECT_EQ(r.prompt, "hello");
  EXPECT_EQ(r.max_tokens, 7);
  EXPECT_EQ(r.temperature, 0);
  EXPECT_EQ(*r.seed, 42u);
  EXPECT_EQ(r.stop, std::vector<std::string>{"\n"});
  EXPECT_TRUE(r.stream);
  EXPECT_EQ(r.user, "u1");
  EXPECT_DOUBLE_EQ(*r.lambda, 0.6);
  EXPECT_DOUBLE_EQ(*r.kappa, 5);
  EXPECT_EQ(r.rules, "legal");
  EXPECT_TRUE(r.explain);
  EXPECT_EQ(r.top_k, 3);
  const auto d = parse_completion_request(R"({"prompt":["one"]})", false, kLimits);  // OpenAI defaults
  EXPECT_EQ(d.prompt, "one");
  EXPECT_EQ(d.max_tokens, 16);
  EXPECT_EQ(d.temperature, 1.0);
  EXPECT_FALSE(d.seed.has_value());
  EXPECT_FALSE(d.lambda.has_value());
}

TEST(CompletionRequest, ChatMessagesBecomeRoleLinesEndingWithTheAssistant) {
  const auto r = parse_completion_request(
      R"({"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
          "max_completion_tokens":4})",
      true, kLimits);
  EXPECT_EQ(r.prompt, "system: Be brief.\nuser: Hi\nassistant:");
  EXPECT_EQ(r.max_tokens, 4);
  EXPECT_TRUE(r.chat);
}

TEST(CompletionRequest, EachMistakeNamesItsField) {
  EXPECT_EQ(refused("{not json"), "");
  EXPECT_EQ(refused("[1,2]"), "");
  EXPECT_EQ(refused("{\"prompt\":\"\xff\xfe\"}"), "");  // ill-formed UTF-8
  EXPECT_EQ(refused(R"({})"), "prompt");
  EXPECT_EQ(refused(R"({"prompt":""})"), "prompt");
  EXPECT_EQ(refused(R"({"prompt":5})"), "prompt");
  EXPECT_EQ(refused(R"({"prompt":["a","b"]})"), "prompt");
  EXPECT_EQ(refused(R"({"prompt":"x","lambda":1.5})"), "lambda");
  EXPECT_EQ(refused(R"({"prompt":"x","lambda":-0.1})"), "lambda");
  EXPECT_EQ(refused(R"({"prompt":"x","lambda":"high"})"), "lambda");
  EXPECT_EQ(refused(R"({"prompt":"x","kappa":0})"), "kappa");
  EXPECT_EQ(refused(R"({"prompt":"x","kappa":"infinite"})"), "kappa");
  EXPECT_EQ(refused(R"({"prompt":"x","kappa":[1]})"), "kappa");
  EXPECT_TRUE(std::isinf(*parse_completion_request(R"({"prompt":"x","kappa":"inf"})", false, kLimits).kappa));
  EXPECT_EQ(refused(R"({"prompt":"x","max_tokens":101})"), "max_tokens");
  EXPECT_EQ(refused(R"({"prompt":"x","max_tokens":18446744073709551615})"), "max_tokens");
  EXPECT_EQ(refused(R"({"prompt":"x","max_tokens":0})"), "max_tokens");
  EXPECT_EQ(refused(R"({"prompt":"x","max_tokens":2.5})"), "max_tokens");
  EXPECT_EQ(refused(R"({"prompt":"x","temperature":3})"), "temperature");
  EXPECT_EQ(refused(R"({"prompt":"x","n":2})"), "n");
  EXPECT_EQ(refused(R"({"prompt":"x","stream":"yes"})"), "stream");
  EXPECT_EQ(refused(R"({"prompt":"x","stop":[""]})"), "stop");
  EXPECT_EQ(refused(R"({"prompt":"x","stop":["a","b","c","d","e"]})"), "stop");
  EXPECT_EQ(refused(R"({"prompt":"x","seed":-1})"), "seed");
  EXPECT_EQ(refused(R"({"prompt":"x","tools":[]})"), "tools");  // unknown here
  // OpenAI fields not implemented: their defaults are taken (clients send them), others refused
  EXPECT_NO_THROW(parse_completion_request(
      R"({"prompt":"x","top_p":1,"frequency_penalty":0,"presence_penalty":0.0,"logprobs":null,"echo":false,
          "best_of":1,"logit_bias":{},"stream_options":{"include_usage":true},"suffix":null,"top_p":null})",
      false, kLimits));
  EXPECT_EQ(refused(R"({"prompt":"x","top_p":0.9})"), "top_p");
  EXPECT_EQ(refused(R"({"prompt":"x","presence_penalty":0.5})"), "presence_penalty");
  EXPECT_EQ(refused(R"({"prompt":"x","logprobs":21})"), "logprobs");
  EXPECT_EQ(refused(R"({"prompt":"x","logprobs":true})"), "logprobs");  // an integer on completions
  EXPECT_EQ(refused(R"({"prompt":"x","echo":1})"), "echo");
  EXPECT_EQ(refused(R"({"prompt":"x","top_logprobs":2})"), "top_logprobs");  // chat's field
  EXPECT_EQ(refused(R"({"prompt":[1,-2]})"), "prompt[1]");
  EXPECT_EQ(refused(R"({"prompt":[[1],[2]]})"), "prompt");
  EXPECT_EQ(refused(R"({"prompt":[]})"), "prompt");
  EXPECT_EQ(refused(R"({"prompt":"x","echo":true,"stream":true})"), "echo");
  EXPECT_EQ(refused(R"({"messages":[{"role":"user","content":"x"}],"echo":true})", true), "echo");
  EXPECT_EQ(refused(R"({"messages":[{"role":"user","content":"x"}],"logprobs":false,"top_logprobs":2})", true),
            "top_logprobs");
  EXPECT_EQ(refused(R"({"prompt":"x","logit_bias":{"5":10}})"), "logit_bias");
  EXPECT_EQ(refused(R"({"prompt":"x","suffix":"end"})"), "suffix");
  EXPECT_EQ(refused(R"({"prompt":"x","messages":[]})"), "messages");      // a chat field on completions
  EXPECT_EQ(refused(R"({"messages":[]})", true), "messages");
  EXPECT_EQ(refused(R"({"messages":[{"role":"robot","content":"x"}]})", true), "messages[0].role");
  EXPECT_EQ(refused(R"({"messages":[{"role":"user"}]})", true), "messages[0].content");
  EXPECT_EQ(refused(R"({"messages":[{"role":"user","content":"x","tool":1}]})", true), "messages[0].tool");
  EXPECT_EQ(refused(R"({"messages":[{"role":"user","content":"x","name":[]}]})", true), "messages[0].name");  // schemathesis
}

TEST(CompletionRequest, LogprobsEchoAndTokenIdPromptsAsOpenAISendsThem) {
  const auto ids = parse_completion_request(R"({"prompt":[[7,8,9]],"max_tokens":0,"echo":true,"logprobs":1})", false, kLimits);
  EXPECT_EQ(ids.prompt_ids, (std::vector<int32_t>{7, 8, 9}));
  EXPECT_TRUE(ids.prompt.empty() && ids.echo);
  EXPECT_EQ(ids.max_tokens, 0);
  EXPECT_EQ(ids.logprobs, 1);
  EXPECT_EQ(parse_completion_request(R"({"prompt":[3,4]})", false, kLimits).prompt_ids, (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(parse_completion_request(R"({"prompt":["a b"]})", false, kLimits).prompt, "a b");
  EXPECT_EQ(parse_completion_request(R"({"prompt":"x"})", false, kLimits).logprobs, -1);  // none asked
  EXPECT_EQ(parse_completion_request(R"({"prompt":"x","logprobs":0})", false, kLimits).logprobs, 0);
  const auto chat = R"({"messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":4})";
  EXPECT_EQ(parse_completion_request(chat, true, kLimits).logprobs, 4);
  EXPECT_EQ(parse_completion_request(R"({"messages":[{"role":"user","content":"x"}],"logprobs":true})", true, kLimits)
                .logprobs, 0);
  EXPECT_EQ(parse_completion_request(R"({"messages":[{"role":"user","content":"x"}],"logprobs":false})", true, kLimits)
                .logprobs, -1);
  // /tokenize and /detokenize
  EXPECT_EQ(parse_tokenize_request(R"({"prompt":"a b","add_special_tokens":false})", false).prompt, "a b");
  EXPECT_EQ(parse_tokenize_request(R"({"tokens":[1,2],"model":"m"})", true).tokens, (std::vector<int32_t>{1, 2}));
  for (const auto& [body, detok, field] : std::vector<std::tuple<std::string, bool, std::string>>{
           {R"({})", false, "prompt"}, {R"({"prompt":1})", false, "prompt"}, {R"({"tokens":"1"})", true, "tokens"},
           {R"({"tokens":[1.5]})", true, "tokens[0]"}, {R"({"tokens":[1],"extra":0})", true, "extra"}}) {
    try {
      parse_tokenize_request(body, detok);
      ADD_FAILURE() << "accepted: " << body;
    } catch (const RequestError& e) {
      EXPECT_EQ(e.field, field) << body;
    }
  }
}

TEST(CompletionRequest, HostileNestingIsRefusedNotWalked) {
  // 100,000 levels once overflowed the server's stack (issue 38): refused before a tree is built
  const auto nested = [](const std::string& open, const std::string& close, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += open;
    s += "1";
    for (int i = 0; i < n; ++i) s += close;
    return s;
  };
  for (const auto& field : {"top_p", "logit_bias", "prompt", "no_such_field"}) {
    const std::string deep = std::string("{\"prompt\":\"x\",\"") + field + "\":" + nested("[", "]", 100000) + "}";
    EXPECT_EQ(refused(deep), "") << field;
    const std::string objects = std::string("{\"prompt\":\"x\",\"") + field + "\":" + nested("{\"a\":", "}", 100000) + "}";
    EXPECT_EQ(refused(objects), "") << field;
  }
  // shallow enough to parse: the message quotes a short description, not the value
  try {
    parse_completion_request("{\"prompt\":\"x\",\"top_p\":" + nested("[", "]", 40) + "}", false, kLimits);
    ADD_FAILURE() << "accepted";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.field, "top_p");
    EXPECT_NE(std::string(e.what()).find("an array of 1 items"), std::string::npos) << e.what();
    EXPECT_LT(std::string(e.what()).size(), 200u) << e.what();
  }
  EXPECT_EQ(refused("{\"prompt\":\"x\",\"top_p\":\"" + std::string(5000, 'a') + "\"}"), "top_p");
}

}  // namespace
}  // namespace localist::serve
