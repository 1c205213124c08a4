#include "localist/serve/server.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>

#include "localist/core/setting.h"
#include "localist/serve/admission.h"
#include "localist/serve/openapi.h"
#include "localist/serve/server_metrics.h"

#ifndef LOCALIST_HTTPLIB
namespace localist::serve {
void run_server(ServedModel&, const ServerOptions&) {
  throw ConfigError("this localist was built without cpp-httplib (Debian: libcpp-httplib-dev): no serve");
}
}  // namespace localist::serve
#else
#include <httplib.h>

namespace localist::serve {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Generated text may hold bytes that are not UTF-8 (a byte-level tokenizer's half character):
// replaced, never a failed response.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

const char* error_type(int status) {
  return status == 401 ? "authentication_error" : status == 404 ? "not_found_error"
       : status >= 500 ? "server_error" : "invalid_request_error";
}

json error_body(int status, const std::string& message, const std::string& param) {
  return {{"error",
           {{"message", message}, {"type", error_type(status)}, {"param", param.empty() ? json() : json(param)},
            {"code", nullptr}}}};
}

// A setting as an HTTP client writes it: the request's JSON key (core/errors.h).
std::string json_key(const std::string& key) { return "\"" + key + "\""; }

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& param = "") {
  res.status = status;
  res.set_content(dump(error_body(status, message, param)), "application/json");
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

// One JSON line per request, appended and flushed at once (several threads write).
class AuditLog {
 public:
  explicit AuditLog(const std::string& path) {
    if (path.empty()) return;
    out_.open(path, std::ios::app);
    if (!out_) throw PathError("--audit-log: cannot open " + path + " for appending");
  }
  void write(const json& line) {
    if (!out_.is_open()) return;
    std::lock_guard<std::mutex> lock(m_);
    out_ << dump(line) << '\n' << std::flush;
  }

 private:
  std::mutex m_;
  std::ofstream out_;
};

// The dial, rules and seed a completion ran under, and (explain) its audit: in every response.
json localist_fields(const Completion& c, bool explain) {
  json j = {{"lambda", c.lambda}, {"kappa", kappa_to_json(c.kappa)}, {"rules", c.rules}, {"rules_version", c.rules_version},
            {"seed", c.seed}, {"timed_out", c.timed_out}};
  if (!c.routing.is_null()) j["routing"] = c.routing;
  if (explain) j["explanation"] = c.explanation, j["summary"] = c.summary;
  return j;
}

json usage(const Completion& c) {
  return {{"prompt_tokens", c.prompt_tokens}, {"completion_tokens", c.completion_tokens},
          {"total_tokens", c.prompt_tokens + c.completion_tokens}};
}

struct Reply {  // what every response of one request shares
  std::string id, model;
  int64_t created = 0;
  bool chat = false;
};

json completion_body(const Reply& rp, const Completion& c, const CompletionRequest& r) {
  json choice = {{"index", 0}, {"finish_reason", c.finish_reason}, {"logprobs", nullptr}};
  if (rp.chat) choice["message"] = {{"role", "assistant"}, {"content", c.text}};
  else choice["text"] = c.echoed + c.text;
  if (r.logprobs >= 0) choice["logprobs"] = rp.chat ? chat_logprobs(c.scored) : completion_logprobs(c.scored);
  return {{"id", rp.id}, {"object", rp.chat ? "chat.completion" : "text_completion"}, {"created", rp.created},
          {"model", rp.model}, {"choices", json::array({choice})}, {"usage", usage(c)},
          {"localist", localist_fields(c, r.explain)}};
}

// One server-sent event of a stream: a piece of text (or, chat, the role), or the end; with
// explain, the audit records of the tokens behind the piece as "localist": {"tokens": [...]}.
std::string event(const Reply& rp, const json& delta, const json& finish, const json& audits = json::array()) {
  json choice = {{"index", 0}, {"finish_reason", finish}};
  if (rp.chat) choice["delta"] = delta;
  else choice["text"] = delta.value("content", ""), choice["logprobs"] = nullptr;
  json j = {{"id", rp.id}, {"object", rp.chat ? "chat.completion.chunk" : "text_completion"},
            {"created", rp.created}, {"model", rp.model}, {"choices", json::array({choice})}};
  if (!audits.empty()) j["localist"] = {{"tokens", audits}};
  return "data: " + dump(j) + "\n\n";
}

std::string new_id(bool chat) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t salt = std::random_device{}();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s-%08llx%06llx", chat ? "chatcmpl" : "cmpl",
                static_cast<unsigned long long>(salt & 0xffffffff), static_cast<unsigned long long>(++counter));
  return buf;
}

// Every route with the one method it answers (others: 405 with Allow).
const std::vector<std::pair<std::string, std::string>> kMethods = {
    {"/v1/completions", "POST"}, {"/v1/chat/completions", "POST"}, {"/tokenize", "POST"}, {"/detokenize", "POST"},
    {"/v1/models", "GET"}, {"/health", "GET"}, {"/metrics", "GET"}, {"/tokenizer_info", "GET"}, {"/openapi.json", "GET"}};

std::vector<std::string> routes() {
  std::vector<std::string> out;
  for (const auto& [path, _] : kMethods) out.push_back(path);
  return out;
}

bool loopback(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

class Api {
 public:
  Api(ServedModel& model, const ServerOptions& o)
      : model_(model), o_(o), admission_(o.parallel, o.queue), audit_(o.audit_log), metrics_(routes()) {}

  // Every request, as httplib's logger sees it once answered (streams: once finished).
  void answered(const httplib::Request& req, const httplib::Response& res) { metrics_.request(req.path, res.status); }

  void metrics(const httplib::Request& req, httplib::Response& res) {
    try {
      authorize(req);
      res.set_content(metrics_.text(admission_.running(), admission_.waiting()), "text/plain; version=0.0.4; charset=utf-8");
    } catch (const RequestError& e) {
      send_error(res, e.status, e.spelled(json_key), e.field);
    }
  }

  void health(httplib::Response& res) {
    json h = {{"status", "ok"}, {"model", model_.name()}, {"running", admission_.running()},
              {"waiting", admission_.waiting()}};
    if (const auto b = model_.batching(); !b.is_null()) h["batching"] = b;
    res.set_content(dump(h), "application/json");
  }

  void models(const httplib::Request& req, httplib::Response& res) {
    try {
      authorize(req);
      res.set_content(dump({{"object", "list"}, {"data", json::array({model_.describe()})}}), "application/json");
    } catch (const RequestError& e) {
      send_error(res, e.status, e.spelled(json_key), e.field);
    }
  }

  // POST /tokenize, /detokenize; GET /tokenizer_info (vLLM's routes: lm-evaluation-harness's remote tokenizer).
  void tokenizer(const httplib::Request& req, httplib::Response& res, const std::string& route) {
    try {
      authorize(req);
      if (route == "info") return res.set_content(dump(model_.tokenizer_info()), "application/json");
      const auto r = parse_tokenize_request(req.body, route == "detokenize");
      check_model(r.model);
      const auto out = route == "detokenize" ? model_.detokenize(r.tokens) : model_.tokenize(r.prompt);
      res.set_content(dump(out), "application/json");
    } catch (const RequestError& e) {
      send_error(res, e.status, e.spelled(json_key), e.field);
    } catch (const UserError& e) {
      send_error(res, 400, e.spelled(json_key));
    }
  }

  void completions(const httplib::Request& req, httplib::Response& res, bool chat) {
    const auto start = Clock::now();
    const Reply rp{new_id(chat), model_.name(), static_cast<int64_t>(std::time(nullptr)), chat};
    json line = {{"id", rp.id}, {"time", utc_now()}, {"endpoint", req.path}, {"model", rp.model},
                 {"client", req.remote_addr}};
    try {
      authorize(req);
      auto r = parse_completion_request(req.body, chat, o_.limits);
      check_model(r.model);
      line["user"] = r.user, line["stream"] = r.stream, line["explain"] = r.explain;
      auto p = std::make_shared<PreparedRequest>(model_.prepare(r));
      const auto deadline = start + std::chrono::milliseconds(static_cast<int64_t>(o_.timeout_s * 1000));
      auto slot = admission_.admit(deadline);
      if (!slot)
        throw RequestError(503, "", "the server is busy (" + std::to_string(o_.parallel) + " running, queue of " +
                                        std::to_string(o_.queue) + " full or no slot within the timeout): retry later");
      if (r.stream) return stream(res, rp, p, slot, deadline, start, line);
      const auto c = model_.run(*p, nullptr, deadline);
      res.set_content(dump(completion_body(rp, c, r)), "application/json");
      finish(line, 200, c, r.explain, start);
    } catch (const RequestError& e) {
      send_error(res, e.status, e.spelled(json_key), e.field);
      fail(line, e.status, e.spelled(json_key), start);
    } catch (const UserError& e) {
      send_error(res, 400, e.spelled(json_key));
      fail(line, 400, e.spelled(json_key), start);
    }
  }

 private:
  // A request naming a model ("" = any) names this one, or 404.
  void check_model(const std::string& asked) const {
    if (!asked.empty() && asked != model_.name())
      throw RequestError(404, "model", "model: \"" + asked + "\" is not served here (this server serves \"" +
                                           model_.name() + "\")");
  }

  // With an API key set: "Authorization: Bearer KEY", or 401.
  void authorize(const httplib::Request& req) const {
    if (o_.api_key.empty()) return;
    if (req.get_header_value("Authorization") != "Bearer " + o_.api_key)
      throw RequestError(401, "", "missing or wrong API key (send \"Authorization: Bearer KEY\")");
  }

  void stream(httplib::Response& res, const Reply& rp, std::shared_ptr<PreparedRequest> p,
              std::shared_ptr<Admission::Slot> slot, Clock::time_point deadline, Clock::time_point start, json line) {
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("text/event-stream", [=](size_t, httplib::DataSink& sink) mutable {
      bool alive = true;
      const auto send = [&](const std::string& s) { return alive = alive && sink.write(s.data(), s.size()); };
      if (rp.chat) send(event(rp, {{"role", "assistant"}, {"content", ""}}, nullptr));
      auto c = model_.run(
          *p, [&](const std::string& piece, const json& audits) {
            return send(event(rp, {{"content", piece}}, nullptr, audits));
          },
          deadline);
      std::string last = event(rp, json::object(), c.finish_reason);
      last.insert(last.size() - 3, ",\"usage\":" + dump(usage(c)) + ",\"localist\":" +
                                        dump(localist_fields(c, p->request.explain)));
      send(last);
      send("data: [DONE]\n\n");
      if (alive) sink.done();
      line["cancelled"] = c.cancelled || !alive;
      finish(line, 200, c, p->request.explain, start);
      slot.reset();  // free the slot now, not when httplib drops the provider
      return alive;
    });
  }

  void finish(json& line, int status, const Completion& c, bool explain, Clock::time_point start) {
    const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
    const int64_t n = c.completion_tokens;
    metrics_.completion(c.prompt_tokens, n, seconds(c.first_token - start),
                        n > 1 ? seconds(c.last_token - c.first_token) / static_cast<double>(n - 1) : 0.0,
                        seconds(Clock::now() - start));
    line["status"] = status;
    line["lambda"] = c.lambda, line["kappa"] = kappa_to_json(c.kappa), line["rules"] = c.rules, line["rules_version"] = c.rules_version;
    line["seed"] = c.seed, line["prompt_tokens"] = c.prompt_tokens, line["completion_tokens"] = c.completion_tokens;
    line["finish_reason"] = c.finish_reason, line["timed_out"] = c.timed_out;
    if (explain) line["summary"] = c.summary;
    if (!c.routing.is_null()) line["routing"] = c.routing;
    line["latency_ms"] = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    audit_.write(line);
  }

  void fail(json& line, int status, const std::string& message, Clock::time_point start) {
    line["status"] = status, line["error"] = message;
    line["latency_ms"] = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    audit_.write(line);
  }

  ServedModel& model_;
  const ServerOptions& o_;
  Admission admission_;
  AuditLog audit_;
  ServerMetrics metrics_;
};

httplib::Server* running = nullptr;
void stop_on_signal(int) {
  if (running) running->stop();
}

}  // namespace

void run_server(ServedModel& model, const ServerOptions& o) {
  Api api(model, o);
  httplib::Server svr;
  svr.new_task_queue = [&o] { return new httplib::ThreadPool(static_cast<size_t>(o.parallel + o.queue + 4)); };
  svr.set_payload_max_length(o.max_body_bytes);
  svr.Get("/health", [&](const httplib::Request&, httplib::Response& res) { api.health(res); });
  const auto openapi = dump(openapi_document(o.limits.max_tokens, model.vocab_size(), model.context_length()));
  svr.Get("/openapi.json", [&](const httplib::Request&, httplib::Response& res) { res.set_content(openapi, "application/json"); });
  svr.Get("/metrics", [&](const httplib::Request& req, httplib::Response& res) { api.metrics(req, res); });
  svr.set_logger([&](const httplib::Request& req, const httplib::Response& res) { api.answered(req, res); });
  svr.Get("/v1/models", [&](const httplib::Request& req, httplib::Response& res) { api.models(req, res); });
  for (const std::string route : {"tokenize", "detokenize"})
    svr.Post("/" + route, [&, route](const httplib::Request& req, httplib::Response& res) { api.tokenizer(req, res, route); });
  svr.Get("/tokenizer_info", [&](const httplib::Request& req, httplib::Response& res) { api.tokenizer(req, res, "info"); });
  svr.Post("/v1/completions",
           [&](const httplib::Request& req, httplib::Response& res) { api.completions(req, res, false); });
  svr.Post("/v1/chat/completions",
           [&](const httplib::Request& req, httplib::Response& res) { api.completions(req, res, true); });
  for (const auto& [path, method] : kMethods) {
    const auto refuse = [path = path, method = method](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", method);
      send_error(res, 405, req.method + " " + path + ": method not allowed (" + method + " only)");
    };
    if (method != "GET") svr.Get(path, refuse);
    if (method != "POST") svr.Post(path, refuse);
    svr.Put(path, refuse), svr.Delete(path, refuse), svr.Patch(path, refuse), svr.Options(path, refuse);
  }
  // statuses httplib sets itself (404 route, 413 body too large, 400 bad request line) as JSON too
  svr.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    // TRACE and CONNECT reach here as 400 (httplib routes neither): on a route, 405 with Allow. A
    // method httplib does not know (QUERY, ...) stays 400: it is refused before the path is read.
    if (res.status == 400 && (req.method == "TRACE" || req.method == "CONNECT")) {
      const auto known = std::find_if(kMethods.begin(), kMethods.end(), [&](const auto& m) { return m.first == req.path; });
      res.status = known == kMethods.end() ? 404 : 405;
      if (known != kMethods.end()) res.set_header("Allow", known->second);
    }
    const std::string why = res.status == 404 ? "no route " + req.method + " " + req.path
                          : res.status == 405 ? req.method + " is not served here"
                          : res.status == 413 ? "the request body is larger than --max-body-bytes"
                                              : "bad request (HTTP status " + std::to_string(res.status) + ")";
    send_error(res, res.status, why);
    return httplib::Server::HandlerResponse::Handled;
  }));
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what += std::string(": ") + e.what();
    } catch (...) {
    }
    send_error(res, 500, what);
  });
  const int port = o.port == 0 ? svr.bind_to_any_port(o.host) : (svr.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port < 0) throw ConfigError("serve: cannot listen on " + o.host + ":" + std::to_string(o.port));
  if (o.api_key.empty() && !loopback(o.host))
    std::cerr << "serve: warning: listening on " << o.host << " without an API key: anyone who can reach it may "
              << "use it (set --api-key or LOCALIST_API_KEY)\n";
  std::cout << "serve: " << model.name() << " on http://" << o.host << ":" << port << " (" << o.parallel
            << " at once" << (o.batch > 0 ? ", steps batched by up to " + std::to_string(o.batch) : std::string())
            << ", queue " << o.queue << ", audit log " << (o.audit_log.empty() ? "off" : o.audit_log) << ")"
            << std::endl;
  running = &svr;
  std::signal(SIGINT, stop_on_signal);
  std::signal(SIGTERM, stop_on_signal);
  svr.listen_after_bind();
  running = nullptr;
  std::cout << "serve: stopped" << std::endl;
}

}  // namespace localist::serve
#endif  // LOCALIST_HTTPLIB
