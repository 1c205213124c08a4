#pragma once
// JSON text from files that may come from anyone (checkpoints, rules, safetensors headers).
// nlohmann's parser is not recursive, but much that walks a document afterwards is (dump(),
// the rules line walker, the config readers), so nesting is bounded here: no file this
// project reads is more than a few levels deep.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace localist {

constexpr int kMaxJsonDepth = 64;

// The parsed document; on invalid JSON or UTF-8, or nesting deeper than kMaxJsonDepth, a
// discarded value with *error describing the problem and *byte its offset.
nlohmann::json parse_json_text(std::string_view text, std::string* error, size_t* byte = nullptr);

// The JSON object in the file at `path`, parsed as above. Messages start with `context` (e.g.
// "report: "): PathError "cannot read 'PATH'"; DataError "'PATH' is not valid JSON (why)" or
// "'PATH' is not a JSON object".
nlohmann::json read_json_object_file(const std::string& path, const std::string& context = "");

// A measurement as JSON: null where it is undefined (NaN, +-inf), which JSON cannot write.
nlohmann::json json_number(double v);

// The number at `key` of object `j`; NaN where it is missing or not a number.
double number_or_nan(const nlohmann::json& j, const char* key);

}  // namespace localist
