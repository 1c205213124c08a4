#include "localist/data/utf8.h"

namespace localist::data {
namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

size_t utf8_sequence_length(std::string_view s, size_t pos) {
  const auto at = [&](size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  const size_t left = s.size() - pos;
  const unsigned char c = at(0);
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07;
  } else {
    return 0;  // continuation byte as lead, or C0/C1/F5..FF (never valid)
  }
  if (left < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if (!is_continuation(at(i))) return 0;
    cp = (cp << 6) | (at(i) & 0x3F);
  }
  // Reject overlong encodings and UTF-16 surrogates (C0/C1 leads were rejected above).
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  return len;
}

size_t first_invalid_utf8(std::string_view s) {
  for (size_t pos = 0; pos < s.size();) {
    if (static_cast<unsigned char>(s[pos]) < 0x80) {  // ASCII fast path
      ++pos;
      continue;
    }
    const size_t len = utf8_sequence_length(s, pos);
    if (len == 0) return pos;
    pos += len;
  }
  return std::string_view::npos;
}

size_t utf8_char_start(std::string_view s, size_t pos) {
  if (pos >= s.size()) return s.size();
  // A character is at most 4 bytes, so look back at most 3 continuation bytes.
  size_t back = 0;
  while (back < 3 && pos > back && is_continuation(static_cast<unsigned char>(s[pos - back])))
    ++back;
  return pos - back;
}

}  // namespace localist::data
