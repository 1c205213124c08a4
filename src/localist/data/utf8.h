#pragma once
// Minimal UTF-8 helpers: the corpus splitter must not cut a character in half, and the word and
// SentencePiece tokenizers need valid UTF-8 (their vocabularies are stored as JSON strings).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace localist::data {

// Length of the well-formed UTF-8 sequence starting at s[pos], or 0 if it is malformed
// (bad lead byte, missing continuation, overlong form, surrogate, > U+10FFFF).
size_t utf8_sequence_length(std::string_view s, size_t pos);

// Byte offset of the first malformed sequence, or std::string_view::npos when all is valid.
size_t first_invalid_utf8(std::string_view s);

// Moves `pos` back to the first byte of the character it falls inside (no-op on a boundary).
size_t utf8_char_start(std::string_view s, size_t pos);

}  // namespace localist::data
