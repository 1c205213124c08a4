#pragma once
// GET /openapi.json of `localist serve`: an OpenAPI 3.0 document of every route and request field
// (the dial's included), for clients, generators and property-based API fuzzers (schemathesis:
// tests/python/openapi_check.py runs it against a live server in CI).
#include <cstdint>

#include <nlohmann/json.hpp>

namespace localist::serve {

// Bounds from the server and its model: max_tokens (--max-tokens), token ids < vocab_size, a
// token-id prompt of at most context_length.
nlohmann::json openapi_document(int64_t max_tokens, int64_t vocab_size, int64_t context_length);

}  // namespace localist::serve
