// `localist serve` end to end: a server on a loopback port (port 0: it picks a free one), talked
// to with curl and with the official OpenAI Python client; bad input gets a 4xx naming the field
// and the server goes on serving; the queue answers 503 when full; a client that leaves
// mid-stream frees its slot; every request is a line of the audit log; rules hot-reload.
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "localist/data/corpus.h"

namespace localist {
namespace {

using json = nlohmann::json;
using testing::cli_tmp;
using testing::run_cli;
using testing::run_shell;

json letter_rules(char letter) {  // one vocab block: the synthetic corpus's words of one letter
  json toks = json::array();
  for (int i = 0; i < 12; ++i) {
    toks.push_back(std::string(1, letter) + std::to_string(i));
    toks.push_back(std::string(1, static_cast<char>(letter - 'a' + 'A')) + std::to_string(i));
  }
  return {{"blocks", json::array({{{"name", std::string("blk_") + letter}, {"tokens", toks}}})}};
}

// A tiny vocab-block run, trained once per test program.
const std::string& served_run() {
  static const std::string run = [] {
    const auto dir = cli_tmp("serve-run");
    std::ofstream(dir + ".rules.json") << letter_rules('a').dump();
    const auto r = run_cli("train --out " + dir + " --n-layer 1 --n-head 2 --n-embd 32 --block-size 64 "
                           "--batch-size 8 --max-steps 40 --synth-tokens 20000 --device cpu --threads 1 "
                           "--blocks vocab --rules " + dir + ".rules.json --lambda 1 --log-interval 40");
    EXPECT_EQ(r.code, 0) << r.output;
    return dir;
  }();
  return run;
}

// `localist serve RUN --port 0 EXTRA` in the background; stopped (SIGTERM) when destroyed.
class Server {
 public:
  Server(const std::string& name, const std::string& extra, const std::string& what = served_run())
      : out_(cli_tmp(name + ".out")), audit_(cli_tmp(name + ".jsonl")) {
    run_shell(std::string(LOCALIST_BINARY) + " serve " + what + " --port 0 --device cpu --threads 1 " +
              "--audit-log " + audit_ + " " + extra + " > " + out_ + " 2>&1 & echo $! > " + out_ + ".pid");
    pid_ = std::stoi(data::read_text_file(out_ + ".pid"));
    for (int i = 0; i < 600 && port_ == 0; ++i) {  // up to a minute to load and bind
      const auto text = data::read_text_file(out_);
      if (const auto at = text.find("on http://127.0.0.1:"); at != std::string::npos)
        port_ = std::stoi(text.substr(at + 20));
      else std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_GT(port_, 0) << data::read_text_file(out_);
  }
  ~Server() {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && kill(pid_, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_NE(kill(pid_, 0), 0) << "the server did not stop on SIGTERM";
    EXPECT_NE(data::read_text_file(out_).find("serve: stopped"), std::string::npos) << data::read_text_file(out_);
  }
  std::string url(const std::string& path = "") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<json> audit() const {
    std::vector<json> lines;
    std::istringstream in(data::read_text_file(audit_));
    for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
    return lines;
  }

  struct Reply {
    int status;
    std::string body;
    json j() const { return json::parse(body); }
  };
  // curl ARGS against PATH: the status and the body.
  Reply curl(const std::string& path, const std::string& args = "") const {
    const auto r = run_shell("curl -s -w '\\n%{http_code}' " + args + " '" + url(path) + "'");
    const auto nl = r.output.rfind('\n');
    return {std::stoi(r.output.substr(nl + 1)), r.output.substr(0, nl)};
  }
  Reply post(const std::string& path, const json& body, const std::string& args = "") const {
    const auto file = out_ + ".body";
    std::ofstream(file) << body.dump();
    return curl(path, "-H 'Content-Type: application/json' --data-binary @" + file + " " + args);
  }

 private:
  std::string out_, audit_;
  int pid_ = 0, port_ = 0;
};

TEST(ServeCli, AnswersWithTheDialTheRulesAndEachTokensAudit) {
  Server s("plain", "");
  EXPECT_EQ(s.curl("/health").j()["status"], "ok");
  const auto models = s.curl("/v1/models").j();
  ASSERT_EQ(models["data"].size(), 1u);
  EXPECT_EQ(models["data"][0]["id"], "serve-run");
  const json ask = {{"prompt", "a1 b1 b2 a2"}, {"max_tokens", 8}, {"seed", 5}, {"lambda", 0.25}, {"explain", true}};
  const auto a = s.post("/v1/completions", ask), b = s.post("/v1/completions", ask);
  ASSERT_EQ(a.status, 200) << a.body;
  const auto ja = a.j();
  EXPECT_EQ(ja["choices"][0]["text"], b.j()["choices"][0]["text"]);  // the same seed, the same output
  EXPECT_EQ(ja["usage"]["completion_tokens"], 8);
  EXPECT_EQ(ja["usage"]["prompt_tokens"], 4);
  EXPECT_EQ(ja["localist"]["lambda"], 0.25);
  ASSERT_EQ(ja["localist"]["explanation"].size(), 8u);
  for (const auto& t : ja["localist"]["explanation"]) {
    EXPECT_EQ(t["top"].size(), 5u);
    EXPECT_GE(t["entropy_bits"].get<double>(), 0);
    EXPECT_TRUE(t["query_block"] == "other" || t["query_block"] == "blk_a") << t;
  }
  // the dial moves at inference: the query "a2" reads "a1" and "b1 b2" (another block), so
  // lambda 0 and 1 give different distributions for the same seed
  auto at = [&](double lam) {
    json q = ask;
    q["lambda"] = lam;
    return s.post("/v1/completions", q).j()["localist"]["explanation"][0]["top"][0]["p"].get<double>();
  };
  EXPECT_NE(at(0.0), at(1.0));
  // streamed: the pieces make the same text as the whole response, then [DONE]
  json st = ask;
  st["stream"] = true;
  st.erase("explain");
  const auto whole = s.post("/v1/completions", st);
  std::string text;
  std::istringstream events(whole.body);
  bool done = false;
  for (std::string l; std::getline(events, l);) {
    if (l == "data: [DONE]") done = true;
    else if (l.rfind("data: ", 0) == 0) text += json::parse(l.substr(6))["choices"][0]["text"].get<std::string>();
  }
  EXPECT_TRUE(done) << whole.body;
  json plain = ask;
  plain.erase("explain");
  EXPECT_EQ(text, s.post("/v1/completions", plain).j()["choices"][0]["text"].get<std::string>());
  // streamed with explain: each token's audit comes with the piece it made, as the whole
  // response's explanation says (the same seed)
  json sx = ask;
  sx["stream"] = true;
  std::istringstream xevents(s.post("/v1/completions", sx).body);
  json streamed = json::array();
  for (std::string l; std::getline(xevents, l);)
    if (l.rfind("data: {", 0) == 0)
      for (const auto& t : json::parse(l.substr(6)).value("localist", json::object()).value("tokens", json::array()))
        streamed.push_back(t);
  const auto& whole_x = ja["localist"]["explanation"];
  ASSERT_EQ(streamed.size(), whole_x.size());
  for (size_t i = 0; i < streamed.size(); ++i) {
    EXPECT_EQ(streamed[i]["token"], whole_x[i]["token"]) << i;
    EXPECT_EQ(streamed[i]["read_block"], whole_x[i]["read_block"]) << i;
    EXPECT_NEAR(streamed[i]["p"].get<double>(), whole_x[i]["p"].get<double>(), 1e-5) << i;
    EXPECT_NEAR(streamed[i]["entropy_bits"].get<double>(), whole_x[i]["entropy_bits"].get<double>(), 1e-4) << i;
  }
  // chat
  const auto c = s.post("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "b1 b2"}}}}, {"max_tokens", 3}});
  ASSERT_EQ(c.status, 200) << c.body;
  EXPECT_EQ(c.j()["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(c.j()["object"], "chat.completion");
  // every request is a line of the audit log with its dial, rules, tokens and latency
  const auto log = s.audit();
  ASSERT_GE(log.size(), 7u);
  EXPECT_EQ(log[0]["lambda"], 0.25);
  EXPECT_EQ(log[0]["completion_tokens"], 8);
  EXPECT_EQ(log[0]["seed"], 5);
  EXPECT_TRUE(log[0].contains("summary"));
  for (const auto& l : log)
    for (const char* k : {"id", "time", "model", "status", "latency_ms", "rules_version", "prompt_tokens"})
      EXPECT_TRUE(l.contains(k)) << k << ": " << l;
}

TEST(ServeCli, BadInputGetsA4xxNamingTheFieldAndTheServerGoesOn) {
  Server s("bad", "--max-tokens 100 --max-body-bytes 10000");
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"prompt", "a1"}, {"lambda", 1.5}}, "lambda"},
      {{{"prompt", "a1"}, {"max_tokens", 1000000}}, "max_tokens"},
      {{{"prompt", "a1"}, {"temperature", "hot"}}, "temperature"},
      {{{"prompt", "a1"}, {"frobnicate", true}}, "frobnicate"},
      {{{"prompt", "a1"}, {"rules", "nope"}}, "rules"},
      {{{"prompt", "a1 a2 a3"}, {"max_tokens", 62}, {"explain", true}}, "max_tokens"},  // 3 + 62 > context 64
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    const auto r = s.post("/v1/completions", bad[i].first);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.j()["error"]["param"], bad[i].second) << r.body;
  }
  std::string long_prompt;
  for (int i = 0; i < 80; ++i) long_prompt += "a1 ";
  EXPECT_EQ(s.post("/v1/completions", {{"prompt", long_prompt}}).j()["error"]["param"], "prompt");  // > context 64
  std::ofstream(cli_tmp("bad.raw")) << "{\"prompt\": \"\xff\xfe\"}";
  EXPECT_EQ(s.curl("/v1/completions", "--data-binary @" + cli_tmp("bad.raw")).status, 400);
  std::ofstream(cli_tmp("bad.json")) << "{\"prompt\": ";
  EXPECT_EQ(s.curl("/v1/completions", "--data-binary @" + cli_tmp("bad.json")).status, 400);
  std::ofstream(cli_tmp("big.json")) << json({{"prompt", std::string(20000, 'a')}}).dump();
  EXPECT_EQ(s.curl("/v1/completions", "--data-binary @" + cli_tmp("big.json")).status, 413);
  EXPECT_EQ(s.post("/v1/completions", {{"prompt", "a1"}, {"model", "other"}}).status, 404);
  EXPECT_EQ(s.curl("/v1/nowhere").status, 404);
  const auto ok = s.post("/v1/completions", {{"prompt", "a1"}, {"max_tokens", 2}});
  EXPECT_EQ(ok.status, 200) << ok.body;  // still serving
}

// The sum of an echoed prompt's log-probabilities (nothing generated): a prompt's log-likelihood.
double echoed_log_likelihood(const Server& s, json ask) {
  ask["echo"] = true, ask["max_tokens"] = 0, ask["logprobs"] = 0;
  const auto r = s.post("/v1/completions", ask);
  EXPECT_EQ(r.status, 200) << r.body;
  const auto lp = r.j()["choices"][0]["logprobs"]["token_logprobs"];
  EXPECT_TRUE(lp[0].is_null()) << lp;  // nothing before the first token
  double sum = 0;
  for (size_t i = 1; i < lp.size(); ++i) sum += lp[i].get<double>();
  return sum;
}

TEST(ServeCli, LogprobsAreTheLogLikelihoodEvalMeasuresUnderAnyDialAndRules) {
  const auto rules = cli_tmp("lp-rules.json");
  std::ofstream(rules) << letter_rules('b').dump();
  Server s("logprobs", "--rules-set b=" + rules);
  const std::string text = "a1 b1 b2 a2 a3 b4 A1 a1 b2 b2 a3 B2 b5 a4 a1 b1";
  const auto file = cli_tmp("lp-text.txt");
  std::ofstream(file) << text;
  const auto n = s.post("/tokenize", {{"prompt", text}}).j()["count"].get<int64_t>();
  ASSERT_EQ(n, 16);
  // the same text through `localist eval` and through the server, under three settings
  const std::vector<std::pair<std::string, json>> settings = {
      {"", json::object()},
      {"--lambda 0.3 --kappa 4", {{"lambda", 0.3}, {"kappa", 4}}},
      {"--rules " + rules + " --lambda 0.6", {{"rules", "b"}, {"lambda", 0.6}}}};
  for (const auto& [flags, fields] : settings) {
    const auto e = run_cli("eval " + served_run() + " --test-file " + file + " --json --device cpu " + flags);
    ASSERT_EQ(e.code, 0) << e.output;
    const auto ev = json::parse(e.output.substr(e.output.find('{')));
    ASSERT_EQ(ev["tokens"], n - 1) << ev;
    json ask = fields;
    ask["prompt"] = text;
    EXPECT_NEAR(echoed_log_likelihood(s, ask), -ev["nll_nats"].get<double>() * (n - 1), 1e-4) << flags;
  }
  // a completion's own tokens: each logprob is the one an echo of prompt + completion gives it,
  // greedy picks the likeliest (its logprob heads top_logprobs), offsets index the returned text
  const auto g = s.post("/v1/completions", {{"prompt", "a1 b1"}, {"max_tokens", 4}, {"temperature", 0},
                                            {"logprobs", 3}, {"lambda", 0.5}}).j();
  const auto& lp = g["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), 4u) << g;
  const auto again = s.post("/v1/completions", {{"prompt", "a1 b1" + std::string(" ") + g["choices"][0]["text"].get<std::string>()},
                                                {"max_tokens", 0}, {"echo", true}, {"logprobs", 3}, {"lambda", 0.5}}).j();
  const auto& whole = again["choices"][0]["logprobs"];
  ASSERT_EQ(whole["tokens"].size(), 6u) << again;
  const std::string made = g["choices"][0]["text"];
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(lp["token_logprobs"][i].get<double>(), whole["token_logprobs"][i + 2].get<double>(), 1e-6) << i;
    EXPECT_EQ(lp["top_logprobs"][i].size(), 3u);
    double best = -1e300;
    for (const auto& [_, v] : lp["top_logprobs"][i].items()) best = std::max(best, v.get<double>());
    EXPECT_DOUBLE_EQ(lp["token_logprobs"][i].get<double>(), best) << i;
    const std::string tok = lp["tokens"][i];
    EXPECT_EQ(made.substr(lp["text_offset"][i].get<size_t>(), tok.size()), tok) << i;
  }
  // echo returns the prompt with the completion; token ids as the prompt; chat's layout
  const auto ids = s.post("/tokenize", {{"prompt", "a1 b1"}}).j()["tokens"];
  const auto e = s.post("/v1/completions", {{"prompt", json::array({ids})}, {"max_tokens", 2}, {"echo", true}, {"seed", 1}}).j();
  EXPECT_EQ(e["choices"][0]["text"].get<std::string>().rfind("a1 b1 ", 0), 0u) << e;
  EXPECT_TRUE(e["choices"][0]["logprobs"].is_null());
  const auto c = s.post("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "a1"}}}}, {"max_tokens", 3},
                                                 {"logprobs", true}, {"top_logprobs", 2}}).j();
  const auto& content = c["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), 3u) << c;
  for (const auto& t : content) {
    EXPECT_EQ(t["top_logprobs"].size(), 2u);
    EXPECT_EQ(t["bytes"].size(), t["token"].get<std::string>().size());
    EXPECT_LE(t["logprob"].get<double>(), 0);
  }
  // what cannot be scored is refused naming the field
  for (const auto& [body, field] : std::vector<std::pair<json, std::string>>{
           {{{"prompt", "a1"}, {"max_tokens", 0}}, "max_tokens"},
           {{{"prompt", "a1"}, {"logprobs", 21}}, "logprobs"},
           {{{"prompt", "a1"}, {"logprobs", 1}, {"stream", true}}, "logprobs"},
           {{{"prompt", json::array({0, 1, 99999})}}, "prompt"},
           {{{"prompt", json::array({json::array({json::array({1})})})}}, "prompt[0][0]"},
           {{{"prompt", "a1 a2"}, {"logprobs", 1}, {"max_tokens", 64}}, "max_tokens"}}) {  // 2 + 64 > 64 + 1
    const auto r = s.post("/v1/completions", body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.j()["error"]["param"], field) << r.body;
  }
  EXPECT_EQ(s.post("/v1/chat/completions", {{"messages", {{{"role", "user"}, {"content", "a1"}}}}, {"top_logprobs", 2}})
                .j()["error"]["param"], "top_logprobs");
  EXPECT_EQ(s.post("/detokenize", {{"tokens", json::array({1, 99999})}}).status, 400);
}

const char* const kTestRequirements = " is not installed (scripts/setup_python.sh test installs requirements-test.txt)";

TEST(ServeCli, LmEvaluationHarnessScoresItThroughLogprobs) {
  if (!testing::python_imports("lm_eval")) GTEST_SKIP() << "lm-eval" << kTestRequirements;
  Server s("lm-eval", "");
  const auto r = testing::run_python_script("lm_eval_client.py", s.url() + " serve-run 64 " + cli_tmp("lm-eval-work"));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("\nok"), std::string::npos) << r.output;
}

TEST(ServeCli, MetricsArePrometheusTextThatItsOwnParserReads) {
  if (!testing::python_imports("prometheus_client")) GTEST_SKIP() << "prometheus_client" << kTestRequirements;
  Server s("metrics", "");
  const auto r = testing::run_python_script("prometheus_metrics.py", s.url());
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("ok"), std::string::npos) << r.output;
}

TEST(ServeCli, SchemathesisFromItsOwnOpenApiFindsNothing) {
  if (!testing::python_imports("schemathesis")) GTEST_SKIP() << "schemathesis" << kTestRequirements;
  Server s("openapi", "");
  const auto doc = s.curl("/openapi.json");
  ASSERT_EQ(doc.status, 200);
  const auto spec = doc.j();
  for (const char* route : {"/v1/completions", "/v1/chat/completions", "/tokenize", "/detokenize", "/v1/models",
                            "/health", "/metrics", "/tokenizer_info", "/openapi.json"})
    EXPECT_TRUE(spec["paths"].contains(route)) << route;
  const auto& fields = spec["components"]["schemas"]["CompletionRequest"]["properties"];
  for (const char* f : {"prompt", "lambda", "kappa", "rules", "explain", "logprobs", "echo", "max_tokens"})
    EXPECT_TRUE(fields.contains(f)) << f;
  const auto r = testing::run_python_script("openapi_check.py", s.url() + " 60");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("\nok"), std::string::npos) << r.output;
  EXPECT_EQ(s.curl("/health").status, 200);  // and still serving
  // an undeclared method on a route: 405 naming the one it takes
  const auto put = run_shell("curl -s -i -X PUT -d '{}' '" + s.url("/health") + "'");
  EXPECT_NE(put.output.find("405 Method Not Allowed"), std::string::npos) << put.output;
  EXPECT_NE(put.output.find("Allow: GET"), std::string::npos) << put.output;
  EXPECT_NE(run_shell("curl -s -i -X TRACE '" + s.url("/v1/completions") + "'").output.find("Allow: POST"), std::string::npos);
}

TEST(ServeCli, HostileRequestsAreRefusedAndTheServerServesOthersThroughout) {
  Server s("hostile", "--max-body-bytes 300000");
  const auto port = s.url().substr(s.url().rfind(':') + 1);
  const auto r = testing::run_python_script("hostile_client.py", "127.0.0.1 " + port + " 300000");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("\nok"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("nested object in no_such_field: 400"), std::string::npos) << r.output;
  EXPECT_EQ(s.curl("/health").status, 200);
}

TEST(ServeCli, AnApiKeyIsRequiredWhenSet) {
  Server s("key", "--api-key sesame");
  EXPECT_EQ(s.curl("/v1/models").status, 401);
  EXPECT_EQ(s.curl("/v1/models", "-H 'Authorization: Bearer wrong'").status, 401);
  EXPECT_EQ(s.curl("/v1/models", "-H 'Authorization: Bearer sesame'").status, 200);
  EXPECT_EQ(s.post("/v1/completions", {{"prompt", "a1"}}).status, 401);
  EXPECT_EQ(s.curl("/metrics").status, 401);
  EXPECT_EQ(s.curl("/metrics", "-H 'Authorization: Bearer sesame'").status, 200);
  EXPECT_EQ(s.post("/tokenize", {{"prompt", "a1"}}).status, 401);
  EXPECT_EQ(s.curl("/health").status, 200);  // open: a load balancer's probe
}

TEST(ServeCli, TheOfficialOpenAIClientWorksAgainstIt) {
  Server s("openai", "--api-key sesame");
  const auto r = testing::run_python_script("openai_client.py", s.url("/v1") + " serve-run sesame");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("ok"), std::string::npos) << r.output;
}

TEST(ServeCli, AFullQueueAnswers503AndALeavingClientFreesItsSlot) {
  Server s("queue", "--parallel 1 --queue 0 --max-tokens 100000");
  const auto running = [&] { return s.curl("/health").j()["running"].get<int>(); };
  // a long stream whose client leaves after 3 seconds
  run_shell("curl -s -N --max-time 3 -d '{\"prompt\":\"a1\",\"max_tokens\":100000,\"stream\":true}' '" +
            s.url("/v1/completions") + "' > /dev/null &");
  for (int i = 0; i < 250 && running() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(running(), 1);
  const auto busy = s.post("/v1/completions", {{"prompt", "a1"}, {"max_tokens", 1}});
  EXPECT_EQ(busy.status, 503) << busy.body;
  for (int i = 0; i < 200 && running() == 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(running(), 0);  // the client left: generation stopped, the slot is free
  EXPECT_EQ(s.post("/v1/completions", {{"prompt", "a1"}, {"max_tokens", 1}}).status, 200);
  bool cancelled = false;
  for (const auto& l : s.audit()) cancelled = cancelled || l.value("cancelled", false);
  EXPECT_TRUE(cancelled);
}

TEST(ServeCli, BatchingConcurrentRequestsChangesNoOutput) {
  // four requests under different dials, sent at once to a batching server and one by one to a
  // server that does not batch: the same text for the same seed, in fewer forwards than steps
  std::vector<json> asks;
  for (double lam : {0.0, 1.0, 0.5, 1.0})
    asks.push_back({{"prompt", lam == 0.5 ? "b1" : "a1 b1 b2 a2"}, {"max_tokens", 48}, {"seed", 7}, {"lambda", lam}});
  std::vector<std::string> alone;
  int tokens = 0;
  {
    Server one("unbatched", "--parallel 1");
    for (const auto& a : asks) {
      const auto r = one.post("/v1/completions", a).j();
      alone.push_back(r["choices"][0]["text"]);
      tokens += r["usage"]["completion_tokens"].get<int>();
    }
  }
  Server s("batched", "--parallel 4 --batch 4");
  std::string cmd;
  for (size_t i = 0; i < asks.size(); ++i) {
    const auto file = cli_tmp("batched." + std::to_string(i));
    std::ofstream(file + ".json") << asks[i].dump();
    cmd += "curl -s -H 'Content-Type: application/json' --data-binary @" + file + ".json '" +
           s.url("/v1/completions") + "' > " + file + ".out & ";
  }
  run_shell(cmd + "wait");
  for (size_t i = 0; i < asks.size(); ++i) {
    const auto body = data::read_text_file(cli_tmp("batched." + std::to_string(i)) + ".out");
    EXPECT_EQ(json::parse(body)["choices"][0]["text"], alone[i]) << "request " << i << ": " << body;
  }
  const auto batching = s.curl("/health").j()["batching"];
  EXPECT_EQ(batching["max_batch"], 4);
  EXPECT_EQ(batching["steps"], tokens);
  EXPECT_LT(batching["forwards"].get<int>(), batching["steps"].get<int>()) << batching;
}

TEST(ServeCli, ARulesSetIsReloadedWhenItsFileChanges) {
  const auto rules = cli_tmp("served.rules.json");
  std::ofstream(rules) << letter_rules('a').dump();
  Server s("rules", "--rules-set r=" + rules);
  const json ask = {{"prompt", "b1 b2"}, {"max_tokens", 1}, {"rules", "r"}, {"explain", true}, {"seed", 1}};
  auto first = s.post("/v1/completions", ask).j();
  EXPECT_EQ(first["localist"]["rules_version"], "r@0");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::ofstream(rules) << letter_rules('b').dump();
  auto second = s.post("/v1/completions", ask).j();
  EXPECT_EQ(second["localist"]["rules_version"], "r@1");
  EXPECT_EQ(second["localist"]["explanation"][0]["query_block"], "blk_b");  // "b2" is in the new block
  std::ofstream(rules) << "{ broken";
  auto third = s.post("/v1/completions", ask);
  EXPECT_EQ(third.status, 200);  // a broken edit keeps the rules in force
  EXPECT_EQ(third.j()["localist"]["rules_version"], "r@1");
}

TEST(ServeCli, AHierarchyRoutesEachRequestAndSaysWhy) {
  const auto spec = cli_tmp("serve-spec"), h = cli_tmp("serve-hierarchy");
  auto t = run_cli("train --out " + spec + " --init-from " + served_run() + " --max-steps 20 --synth-tokens 20000 "
                   "--synth-seed 7 --device cpu --threads 1 --log-interval 20");
  ASSERT_EQ(t.code, 0) << t.output;
  auto c = run_cli("hierarchy create " + h + " --base " + served_run() + " --member spec=" + spec +
                   " --routing hard --prefix 4");
  ASSERT_EQ(c.code, 0) << c.output;
  Server s("hierarchy", "", h);
  const auto models = s.curl("/v1/models").j();
  EXPECT_EQ(models["data"][0]["localist"]["members"].size(), 2u);
  EXPECT_EQ(models["data"][0]["localist"]["routing"], "hard");
  const auto r = s.post("/v1/completions", {{"prompt", "a1 A2 a3 b1 b2 b3"}, {"max_tokens", 3}, {"explain", true}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto routing = r.j()["localist"]["routing"];
  EXPECT_EQ(routing["predictions_read"], 4);  // the prefix, of the prompt's 5 predictions
  const double base = routing["posterior"]["base"].get<double>(), sp = routing["posterior"]["spec"].get<double>();
  EXPECT_NEAR(base + sp, 1.0, 1e-9);
  EXPECT_EQ(routing["member"], base >= sp ? "base" : "spec");  // the posterior's argmax generates
  EXPECT_EQ(r.j()["localist"]["explanation"].size(), 3u);
  EXPECT_EQ(s.audit().back()["routing"], routing);  // and the audit log says which member and why
}

TEST(ServeCli, ASoftHierarchySamplesTheMixtureAndAuditsEachTokensMember) {
  const auto spec = cli_tmp("serve-soft-spec"), h = cli_tmp("serve-soft");
  auto t = run_cli("train --out " + spec + " --init-from " + served_run() + " --max-steps 20 --synth-tokens 20000 "
                   "--synth-seed 7 --device cpu --threads 1 --log-interval 20");
  ASSERT_EQ(t.code, 0) << t.output;
  auto c = run_cli("hierarchy create " + h + " --base " + served_run() + " --member spec=" + spec + " --routing soft");
  ASSERT_EQ(c.code, 0) << c.output;
  Server s("soft", "", h);
  const json ask = {{"prompt", "a1 A2 a3 b1 b2 b3"}, {"max_tokens", 5}, {"explain", true}, {"seed", 3}};
  const auto r = s.post("/v1/completions", ask);
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = r.j();
  const auto& routing = body["localist"]["routing"];
  EXPECT_EQ(routing["routing"], "soft");
  EXPECT_EQ(routing["predictions_read"], 5);  // the whole prompt
  const auto& x = body["localist"]["explanation"];
  ASSERT_EQ(x.size(), 5u);
  // the first token is mixed by the posterior after the prompt; each token audits the member
  // with the largest weight
  EXPECT_NEAR(x[0]["weights"]["base"].get<double>(), routing["posterior"]["base"].get<double>(), 1e-9);
  for (const auto& e : x) {
    const double base = e["weights"]["base"].get<double>(), sp = e["weights"]["spec"].get<double>();
    EXPECT_NEAR(base + sp, 1.0, 1e-9);
    EXPECT_EQ(e["member"], base >= sp ? "base" : "spec") << e;
  }
  EXPECT_EQ(s.post("/v1/completions", ask).j()["choices"][0]["text"], body["choices"][0]["text"]);  // same seed
  json ruled = ask;
  ruled["rules"] = "any";
  const auto refused = s.post("/v1/completions", ruled);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.j()["error"]["param"], "rules");
}

}  // namespace
}  // namespace localist
