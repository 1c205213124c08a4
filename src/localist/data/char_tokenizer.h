#pragma once
// Character (byte) tokenizer, as nanoGPT's shakespeare_char: one id per distinct byte seen in the
// training text, in byte order, after id 0 = <unk>. nanoGPT has no <unk>; we reserve one because
// a validation text may hold a byte the training text never did. Multi-byte UTF-8 characters
// become several tokens; decode reassembles them, so decode(encode(s)) == s whenever every byte
// of s was seen in training. <unk> decodes to U+FFFD (the replacement character).
#include <array>

#include "localist/data/tokenizer.h"

namespace localist::data {

class CharTokenizer : public Tokenizer {
 public:
  static constexpr int32_t kUnk = 0;

  // `bytes`: the vocabulary, distinct and ascending; byte bytes[k] gets id k + 1.
  explicit CharTokenizer(std::vector<uint8_t> bytes);
  static std::unique_ptr<CharTokenizer> train(const std::string& text);
  static std::unique_ptr<CharTokenizer> from_json(const nlohmann::json& j);

  std::vector<int32_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(bytes_.size()) + 1; }
  std::string kind() const override { return "char"; }
  nlohmann::json to_json() const override;  // bytes as integers: lone bytes are not valid JSON text
  std::string token_text(int32_t id) const override;

 private:
  std::vector<uint8_t> bytes_;
  std::array<int32_t, 256> id_of_{};  // byte -> id, kUnk where unseen
};

}  // namespace localist::data
