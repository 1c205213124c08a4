#include "localist/data/char_tokenizer.h"

#include <algorithm>
#include <cstdio>

#include "localist/core/errors.h"

namespace localist::data {
namespace {

constexpr int kCharFormat = 1;
const char kReplacementChar[] = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

CharTokenizer::CharTokenizer(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {
  if (!std::is_sorted(bytes_.begin(), bytes_.end()) ||
      std::adjacent_find(bytes_.begin(), bytes_.end()) != bytes_.end())
    throw DataError("tokenizer char: vocabulary bytes must be distinct and ascending");
  id_of_.fill(kUnk);
  for (size_t k = 0; k < bytes_.size(); ++k) id_of_[bytes_[k]] = static_cast<int32_t>(k + 1);
}

std::unique_ptr<CharTokenizer> CharTokenizer::train(const std::string& text) {
  std::array<bool, 256> seen{};
  for (unsigned char c : text) seen[c] = true;
  std::vector<uint8_t> bytes;
  for (int b = 0; b < 256; ++b)
    if (seen[b]) bytes.push_back(static_cast<uint8_t>(b));
  return std::make_unique<CharTokenizer>(std::move(bytes));
}

std::unique_ptr<CharTokenizer> CharTokenizer::from_json(const nlohmann::json& j) {
  std::vector<uint8_t> bytes;
  for (const auto& b : j.at("bytes")) {
    // an integer first: converting a float such as 1e30 to int is undefined (found by fuzzing)
    if (!b.is_number_integer() || b.get<int64_t>() < 0 || b.get<int64_t>() > 255)
      throw DataError("tokenizer json: char byte " + b.dump() + " is not an integer in [0, 255]");
    const int v = static_cast<int>(b.get<int64_t>());
    bytes.push_back(static_cast<uint8_t>(v));
  }
  return std::make_unique<CharTokenizer>(std::move(bytes));
}

std::vector<int32_t> CharTokenizer::encode(const std::string& text) const {
  std::vector<int32_t> ids(text.size());
  for (size_t i = 0; i < text.size(); ++i) ids[i] = id_of_[static_cast<unsigned char>(text[i])];
  return ids;
}

std::string CharTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  out.reserve(ids.size());
  for (int32_t id : ids) {
    check_token_id("char", id, vocab_size());
    if (id == kUnk)
      out += kReplacementChar;
    else
      out += static_cast<char>(bytes_[id - 1]);
  }
  return out;
}

nlohmann::json CharTokenizer::to_json() const {
  return {{"kind", "char"}, {"format", kCharFormat}, {"bytes", bytes_}};
}

std::string CharTokenizer::token_text(int32_t id) const {
  check_token_id("char", id, vocab_size());
  if (id == kUnk) return "<unk>";
  const uint8_t b = bytes_[id - 1];
  if (b < 0x80) return std::string(1, static_cast<char>(b));
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", b);
  return buf;
}

}  // namespace localist::data
