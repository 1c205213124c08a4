#include "localist/blocks/json_lines.h"

#include <algorithm>

namespace localist::rules {
namespace {

struct Walker {
  const std::string& s;
  size_t i = 0;
  int line = 1;
  JsonLines out;

  void skip_ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
      if (s[i] == '\n') ++line;
      ++i;
    }
  }
  // The raw text of a string literal at s[i] == '"' (escapes decoded only for \" and \\, which
  // is all a pointer segment of a rules file needs; other escapes stay as written).
  std::string string_literal() {
    std::string r;
    ++i;  // opening quote
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) {
        ++i;
        if (s[i] != '"' && s[i] != '\\' && s[i] != '/') r += '\\';
        r += s[i];
      } else {
        r += s[i];
      }
      ++i;
    }
    ++i;  // closing quote
    return r;
  }
  static std::string escape(const std::string& key) {
    std::string r;
    for (char c : key) r += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    return r;
  }
  void value(const std::string& pointer) {
    skip_ws();
    if (i >= s.size()) return;
    out.emplace(pointer, line);
    if (s[i] == '{') {
      ++i;
      for (;;) {
        skip_ws();
        if (i >= s.size() || s[i] == '}') break;
        if (s[i] == ',') { ++i; continue; }
        const std::string key = string_literal();
        skip_ws();
        ++i;  // ':'
        value(pointer + "/" + escape(key));
      }
      ++i;
    } else if (s[i] == '[') {
      ++i;
      for (int n = 0;; ++n) {
        skip_ws();
        if (i >= s.size() || s[i] == ']') break;
        if (s[i] == ',') { ++i; --n; continue; }
        value(pointer + "/" + std::to_string(n));
      }
      ++i;
    } else if (s[i] == '"') {
      string_literal();
    } else {  // number, true, false, null
      while (i < s.size() && std::string(",]} \t\r\n").find(s[i]) == std::string::npos) ++i;
    }
  }
};

}  // namespace

JsonLines json_lines(const std::string& text) {
  Walker w{text, 0, 1, {}};
  w.value("");
  return std::move(w.out);
}

int line_of_offset(const std::string& text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

}  // namespace localist::rules
