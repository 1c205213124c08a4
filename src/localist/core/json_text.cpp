#include "localist/core/json_text.h"

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

}  // namespace localist
