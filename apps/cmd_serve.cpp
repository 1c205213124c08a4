// localist serve: a checkpoint or a hierarchy behind an OpenAI-compatible HTTP API with the dial
// and the audit trail in every response (serve/server.h, docs/serve.md).
#include <cstdlib>
#include <filesystem>

#include "commands.h"
#include "opened_checkpoint.h"
#include "localist/core/device.h"
#include "localist/hierarchy/hierarchy.h"
#include "localist/serve/server.h"

namespace localist::app {
namespace {

struct ServeArgs {
  std::string checkpoint, name;
  std::vector<std::string> rules_sets;
  serve::ServerOptions server;
  InferenceArgs run;
};

// The run's directory name, as OpenAI clients name a model.
std::string default_name(const std::string& path) {
  auto p = std::filesystem::path(path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  if (p.filename() == "checkpoint") p = p.parent_path();
  return p.filename().string();
}

using RulesSets = std::vector<std::pair<std::string, std::string>>;

std::unique_ptr<serve::ServedModel> served_run(const std::string& path, const CLI::App& cmd, const InferenceArgs& a,
                                               const std::string& name, const RulesSets& sets) {
  auto c = open_checkpoint(path, cmd, a);
  std::vector<serve::ServedMember> one;
  one.push_back({name, std::move(c.lm), c.localist});
  return std::make_unique<serve::ServedModel>(std::move(one), "", 0, c.device, name, sets);
}

// Every member under its own settings with the command line's overrides, routed as the manifest says.
std::unique_ptr<serve::ServedModel> served_hierarchy(const std::string& dir, const CLI::App& cmd,
                                                     const InferenceArgs& a, const std::string& name,
                                                     const RulesSets& sets) {
  set_threads(a.threads);
  const auto device = resolve_device(a.device);
  auto h = load_hierarchy(dir, device);
  std::vector<serve::ServedMember> members;
  for (size_t k = 0; k < h.models.size(); ++k) {
    auto localist = localist_overrides(h.models[k].meta.localist, cmd, a.localist);
    members.push_back({h.manifest.members[k].name, std::move(h.models[k]), localist});
  }
  return std::make_unique<serve::ServedModel>(std::move(members), h.manifest.routing, h.manifest.prefix, device,
                                              name, sets);
}

}  // namespace

void add_serve(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "serve a checkpoint over HTTP: OpenAI-compatible completions with the "
                                          "dial and per-token audits (docs/serve.md)");
  auto a = std::make_shared<ServeArgs>();
  auto& s = a->server;
  cmd->add_option("checkpoint", a->checkpoint, "run, checkpoint or hierarchy directory")->required();
  cmd->add_option("--host", s.host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", s.port, "port (0 = any free port, printed at start)")->capture_default_str();
  cmd->add_option("--api-key", s.api_key, "require \"Authorization: Bearer KEY\" (default: $LOCALIST_API_KEY)");
  cmd->add_option("--model-name", a->name, "the model's id in the API (default: the run directory's name)");
  cmd->add_option("--rules-set", a->rules_sets, "NAME=FILE: a rules file requests may name (\"rules\": NAME), "
                                                "reloaded when it changes; repeatable");
  cmd->add_option("--parallel", s.parallel, "requests generating at once")->capture_default_str();
  cmd->add_option("--batch", s.batch, "> 0: the running requests' decoding steps share forwards, up to this many "
                                      "rows each (0 = each request its own forward)")->capture_default_str();
  cmd->add_option("--queue", s.queue, "requests waiting for a slot before 503")->capture_default_str();
  cmd->add_option("--timeout", s.timeout_s, "seconds per request (waiting, then generating)")->capture_default_str();
  cmd->add_option("--max-tokens", s.limits.max_tokens, "the most max_tokens a request may ask")->capture_default_str();
  cmd->add_option("--max-body-bytes", s.max_body_bytes, "larger request bodies get 413")->capture_default_str();
  cmd->add_option("--audit-log", s.audit_log, "JSON lines, one per request (\"\" = off)")->capture_default_str();
  add_inference_options(*cmd, a->run);
  cmd->callback([a, cmd] {
    if (a->server.api_key.empty())
      if (const char* k = std::getenv("LOCALIST_API_KEY")) a->server.api_key = k;
    if (!(a->server.timeout_s > 0)) throw ConfigError("--timeout must be > 0 seconds");
    if (a->server.limits.max_tokens < 1) throw ConfigError("--max-tokens must be >= 1");
    if (a->server.batch < 0) throw ConfigError("--batch must be >= 0 (0 = no batching)");
    std::vector<std::pair<std::string, std::string>> sets;
    for (const auto& r : a->rules_sets) sets.push_back(name_value(r, "--rules-set"));
    const auto name = a->name.empty() ? default_name(a->checkpoint) : a->name;
    auto model = std::filesystem::exists(std::filesystem::path(a->checkpoint) / "hierarchy.json")
                     ? served_hierarchy(a->checkpoint, *cmd, a->run, name, sets)
                     : served_run(a->checkpoint, *cmd, a->run, name, sets);
    if (a->server.batch > 0) model->batch_steps(a->server.batch);
    serve::run_server(*model, a->server);
  });
}

}  // namespace localist::app
