#include "localist/serve/openapi.h"

#include "localist/serve/completion_request.h"

namespace localist::serve {
namespace {

using json = nlohmann::json;

// The document with every route and field the server takes (completion_request.cpp reads them;
// a field added there belongs here too: tests/python/openapi_check.py fuzzes the server from this).
const char* kDocument = R"json({
  "openapi": "3.0.3",
  "info": {"title": "localist serve", "version": "1",
           "description": "An OpenAI-style API in front of a localist checkpoint: the locality dial (lambda, kappa) and rules per request, each token's audit with explain (docs/serve.md)."},
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "schemas": {
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
        "required": ["message", "type", "param", "code"],
        "properties": {"message": {"type": "string"}, "type": {"type": "string"},
                       "param": {"type": "string", "nullable": true}, "code": {"nullable": true}}}}},
      "TokenIds": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 0, "maximum": 2147483647}},
      "Dial": {"type": "object", "properties": {
        "lambda": {"type": "number", "minimum": 0, "maximum": 1, "description": "the locality dial for this request (default: the checkpoint's)"},
        "kappa": {"oneOf": [{"type": "number", "minimum": 0, "exclusiveMinimum": true}, {"type": "string", "enum": ["inf"]}],
                  "description": "the dial's logit scale in nats, or \"inf\": the hard mask"},
        "rules": {"type": "string", "description": "a rules set loaded with --rules-set NAME=FILE, or \"default\""},
        "explain": {"type": "boolean", "description": "each generated token's audit in localist.explanation"}}},
      "Common": {"type": "object", "properties": {
        "model": {"type": "string"},
        "max_tokens": {"type": "integer", "minimum": 0, "maximum": 512, "description": "0 only with echo"},
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "top_k": {"type": "integer", "minimum": 0, "maximum": 1073741824},
        "seed": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807},
        "stop": {"nullable": true, "oneOf": [{"type": "string"},
                 {"type": "array", "maxItems": 4, "items": {"type": "string", "minLength": 1}}]},
        "stream": {"type": "boolean"},
        "n": {"type": "integer", "minimum": 1, "maximum": 1},
        "user": {"type": "string"},
        "top_p": {"type": "number", "nullable": true, "enum": [1, null], "description": "OpenAI's default only"},
        "frequency_penalty": {"type": "number", "nullable": true, "enum": [0, null], "description": "OpenAI's default only"},
        "presence_penalty": {"type": "number", "nullable": true, "enum": [0, null], "description": "OpenAI's default only"},
        "best_of": {"type": "integer", "nullable": true, "enum": [1, null], "description": "OpenAI's default only"},
        "logit_bias": {"type": "object", "nullable": true, "maxProperties": 0, "description": "OpenAI's default only"},
        "stream_options": {"type": "object", "nullable": true},
        "response_format": {"type": "object", "nullable": true, "required": ["type"], "additionalProperties": false,
                            "properties": {"type": {"type": "string", "enum": ["text"]}}},
        "suffix": {"nullable": true, "enum": [null]}}},
      "CompletionRequest": {"allOf": [{"$ref": "#/components/schemas/Common"}, {"$ref": "#/components/schemas/Dial"}, {
        "type": "object", "required": ["prompt"], "properties": {
          "prompt": {"oneOf": [{"type": "string", "minLength": 1},
                               {"type": "array", "minItems": 1, "maxItems": 1, "items": {"type": "string", "minLength": 1}},
                               {"$ref": "#/components/schemas/TokenIds"},
                               {"type": "array", "minItems": 1, "maxItems": 1, "items": {"$ref": "#/components/schemas/TokenIds"}}]},
          "logprobs": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 20},
          "echo": {"type": "boolean", "nullable": true}}}]},
      "ChatRequest": {"allOf": [{"$ref": "#/components/schemas/Common"}, {"$ref": "#/components/schemas/Dial"}, {
        "type": "object", "required": ["messages"], "properties": {
          "messages": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["role", "content"],
            "additionalProperties": false, "properties": {"role": {"type": "string", "enum": ["system", "user", "assistant"]},
                                                          "content": {"type": "string"}, "name": {"type": "string"}}}},
          "max_completion_tokens": {"type": "integer", "minimum": 0, "maximum": 512},
          "logprobs": {"type": "boolean", "nullable": true},
          "top_logprobs": {"type": "integer", "nullable": true, "minimum": 0, "maximum": 20}}}]},
      "Event": {"type": "object", "required": ["data"], "description": "one server-sent event: data is a chunk's JSON, or [DONE] at the end",
                "properties": {"data": {"type": "string"}, "event": {"type": "string"}}},
      "Completion": {"type": "object", "required": ["id", "object", "created", "model", "choices", "usage", "localist"],
        "properties": {"id": {"type": "string"}, "object": {"type": "string", "enum": ["text_completion", "chat.completion"]},
          "created": {"type": "integer"}, "model": {"type": "string"},
          "choices": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["index", "finish_reason", "logprobs"],
            "properties": {"index": {"type": "integer"}, "text": {"type": "string"},
              "message": {"type": "object", "required": ["role", "content"], "properties": {"role": {"type": "string"}, "content": {"type": "string"}}},
              "finish_reason": {"type": "string", "enum": ["stop", "length"]},
              "logprobs": {"type": "object", "nullable": true}}}},
          "usage": {"type": "object", "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
            "properties": {"prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}}},
          "localist": {"type": "object", "required": ["lambda", "kappa", "rules", "rules_version", "seed", "timed_out"]}}}
    },
    "responses": {
      "Completed": {"description": "the completion (stream: server-sent events)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Completion"}},
                                "text/event-stream": {"schema": {"$ref": "#/components/schemas/Event"}}}},
      "Error": {"description": "the request refused, naming the field at fault in error.param",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  },
  "security": [{}, {"bearer": []}],
  "paths": {
    "/v1/completions": {"post": {"operationId": "completions", "summary": "a completion of a prompt (logprobs, echo: scoring text)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CompletionRequest"}}}},
      "responses": {"200": {"$ref": "#/components/responses/Completed"},
                    "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                    "404": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
                    "503": {"$ref": "#/components/responses/Error"}}}},
    "/v1/chat/completions": {"post": {"operationId": "chat", "summary": "the next assistant message",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatRequest"}}}},
      "responses": {"200": {"$ref": "#/components/responses/Completed"},
                    "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                    "404": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
                    "503": {"$ref": "#/components/responses/Error"}}}},
    "/tokenize": {"post": {"operationId": "tokenize", "summary": "the served tokenizer's ids of a text (vLLM's shape)",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["prompt"],
        "additionalProperties": false, "properties": {"prompt": {"type": "string"}, "add_special_tokens": {"type": "boolean"}, "model": {"type": "string"}}}}}},
      "responses": {"200": {"description": "the ids", "content": {"application/json": {"schema": {"type": "object",
                      "required": ["tokens", "count", "max_model_len"], "properties": {"tokens": {"type": "array", "items": {"type": "integer"}},
                      "count": {"type": "integer"}, "max_model_len": {"type": "integer"}}}}}},
                    "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                    "404": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}}}},
    "/detokenize": {"post": {"operationId": "detokenize", "summary": "the text of token ids",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["tokens"],
        "additionalProperties": false, "properties": {"tokens": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 2147483647}},
                                                      "model": {"type": "string"}}}}}},
      "responses": {"200": {"description": "the text", "content": {"application/json": {"schema": {"type": "object",
                      "required": ["prompt"], "properties": {"prompt": {"type": "string"}}}}}},
                    "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                    "404": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}}}},
    "/tokenizer_info": {"get": {"operationId": "tokenizer_info", "summary": "the served tokenizer",
      "responses": {"200": {"description": "kind, end-of-text token, context", "content": {"application/json": {"schema": {"type": "object",
                      "required": ["tokenizer_class", "eos_token", "model_max_length", "vocab_size"]}}}},
                    "401": {"$ref": "#/components/responses/Error"}}}},
    "/v1/models": {"get": {"operationId": "models", "summary": "the served model, its shape, default dial and rules sets",
      "responses": {"200": {"description": "a list of one", "content": {"application/json": {"schema": {"type": "object",
                      "required": ["object", "data"], "properties": {"object": {"type": "string"}, "data": {"type": "array", "items": {"type": "object"}}}}}}},
                    "401": {"$ref": "#/components/responses/Error"}}}},
    "/health": {"get": {"operationId": "health", "summary": "liveness, running and waiting requests (no key needed)", "security": [{}],
      "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "required": ["status"]}}}}}}},
    "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus text format",
      "responses": {"200": {"description": "the metrics", "content": {"text/plain": {"schema": {"type": "string"}}}},
                    "401": {"$ref": "#/components/responses/Error"}}}},
    "/openapi.json": {"get": {"operationId": "openapi", "summary": "this document (no key needed)", "security": [{}],
      "responses": {"200": {"description": "OpenAPI 3.0", "content": {"application/json": {"schema": {"type": "object"}}}}}}}
  }
})json";

// allOf [refs..., own] as one object that refuses unknown fields, as the server does (OpenAPI 3.0
// cannot close a schema composed with allOf).
json closed(const json& schemas, const json& composed) {
  json out = {{"type", "object"}, {"additionalProperties", false}, {"properties", json::object()}};
  for (const auto& part : composed["allOf"]) {
    const auto& s = part.contains("$ref") ? schemas[part["$ref"].get<std::string>().substr(21)] : part;
    out["properties"].update(s["properties"]);
    if (s.contains("required")) out["required"] = s["required"];
  }
  return out;
}

}  // namespace

json openapi_document(int64_t max_tokens, int64_t vocab_size, int64_t context_length) {
  static const json base = json::parse(kDocument);  // ours, not a client's: no depth concern
  json doc = base;
  auto& schemas = doc["components"]["schemas"];
  auto& common = schemas["Common"]["properties"];
  common["max_tokens"]["maximum"] = max_tokens;
  schemas["TokenIds"]["items"]["maximum"] = vocab_size - 1;
  schemas["TokenIds"]["maxItems"] = context_length;
  for (const char* name : {"CompletionRequest", "ChatRequest"}) schemas[name] = closed(schemas, schemas[name]);
  schemas.erase("Common"), schemas.erase("Dial");
  auto& chat = schemas["ChatRequest"]["properties"];
  chat["max_completion_tokens"]["maximum"] = max_tokens;
  chat["top_logprobs"]["maximum"] = kMaxTopLogprobs;
  schemas["CompletionRequest"]["properties"]["logprobs"]["maximum"] = kMaxTopLogprobs;
  doc["paths"]["/detokenize"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["tokens"]
     ["items"]["maximum"] = vocab_size - 1;
  return doc;
}

}  // namespace localist::serve
