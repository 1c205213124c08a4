#pragma once
// `localist serve` (docs/serve.md): an OpenAI-compatible HTTP API on cpp-httplib in front of one
// ServedModel. Routes: POST /v1/completions, POST /v1/chat/completions (both also as server-sent
// events with "stream": true), GET /v1/models, GET /health, GET /metrics (Prometheus), POST /tokenize,
// POST /detokenize, GET /tokenizer_info (vLLM's, for lm-evaluation-harness). Every response carries the dial and
// rules it ran under ("localist"), and with "explain": true each generated token's audit.
// Errors are OpenAI-style JSON {"error": {"message", "type", "param"}} with a 4xx/5xx status;
// the server keeps serving others. Every request is a line of the audit log (JSON lines).
#include <cstdint>
#include <string>

#include "localist/serve/completion_request.h"
#include "localist/serve/served_model.h"

namespace localist::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;              // 0: any free port (printed at start)
  std::string api_key;          // "": no key asked (a warning on a non-loopback address)
  int parallel = 2;             // requests generating at once
  int batch = 0;                // > 0: their decoding steps share forwards, this many rows at most
  int queue = 16;               // requests waiting for a slot before 503
  double timeout_s = 60;        // per request: waiting for a slot, then generating
  size_t max_body_bytes = 1 << 20;
  RequestLimits limits;
  std::string audit_log = "serve_audit.jsonl";
};

// Serves until SIGINT or SIGTERM. Throws ConfigError if the address cannot be bound.
void run_server(ServedModel& model, const ServerOptions& options);

}  // namespace localist::serve
