#pragma once
// Base64 (RFC 4648, with padding): binary blobs such as a SentencePiece model proto must travel
// inside the tokenizer JSON that checkpoints store.
#include <string>
#include <string_view>

namespace localist::data {

std::string base64_encode(std::string_view bytes);
// Throws DataError naming the offending position on characters outside the alphabet or a length
// that is not a multiple of 4.
std::string base64_decode(std::string_view text);

}  // namespace localist::data
