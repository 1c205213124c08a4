#pragma once
// Small formatting shared by the commands that print tables and audit lines (explain, chat).
#include <cmath>
#include <cstdio>
#include <string>

namespace localist {

// Newlines and tabs made visible, so one token stays on one line.
inline std::string visible(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : std::string(1, c);
  return out;
}

// visible(), long tokens cut: one table cell.
inline std::string cell(const std::string& text, size_t width = 10) {
  const std::string out = visible(text);
  return out.size() > width ? out.substr(0, width - 1) + "~" : out;
}

// A number with `digits` decimals; "-" for NaN (a measure with nothing to measure).
inline std::string fixed(double x, int digits = 3) {
  if (std::isnan(x)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

}  // namespace localist
