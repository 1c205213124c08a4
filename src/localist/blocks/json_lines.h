#pragma once
// Where each value of a JSON text sits: a JSON pointer ("/blocks/1/tokens/3") -> its 1-based
// line, so a rules file's errors can name the line as well as the field. nlohmann::json keeps
// no positions, hence this small walker; it runs on text that already parsed.
#include <string>
#include <unordered_map>

namespace localist::rules {

using JsonLines = std::unordered_map<std::string, int>;

// text: valid JSON (parse it first). Pointers follow RFC 6901 ("~0", "~1" escapes).
JsonLines json_lines(const std::string& text);

// The 1-based line of byte offset `offset` in `text` (for parse errors).
int line_of_offset(const std::string& text, size_t offset);

}  // namespace localist::rules
