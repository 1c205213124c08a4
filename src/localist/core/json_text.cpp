#include "localist/core/json_text.h"

#include <cmath>
#include <fstream>
#include <iterator>

#include "localist/core/errors.h"

namespace localist {

nlohmann::json parse_json_text(std::string_view text, std::string* error, size_t* byte) {
  // Depth first, in one cheap pass outside strings, so the parser never builds a deep tree.
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        *error = "nested more than " + std::to_string(kMaxJsonDepth) + " levels deep";
        if (byte) *byte = i;
        return nlohmann::json::value_t::discarded;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    *error = e.what();
    if (byte) *byte = e.byte;
    return nlohmann::json::value_t::discarded;
  } catch (const nlohmann::json::exception& e) {  // e.g. out_of_range: a number beyond double (found by fuzzing)
    *error = e.what();
    if (byte) *byte = 0;
    return nlohmann::json::value_t::discarded;
  }
}

nlohmann::json read_json_object_file(const std::string& path, const std::string& context) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PathError(context + "cannot read '" + path + "'");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw PathError(context + "cannot read '" + path + "'");
  std::string error;
  const auto j = parse_json_text(text, &error);
  if (j.is_discarded()) throw DataError(context + "'" + path + "' is not valid JSON (" + error + ")");
  if (!j.is_object()) throw DataError(context + "'" + path + "' is not a JSON object");
  return j;
}

nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

double number_or_nan(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : std::nan("");
}

}  // namespace localist
