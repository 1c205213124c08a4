#pragma once
// BPE and unigram tokenizers, trained and run by SentencePiece.
// Settings chosen for exact round trips: identity normalisation (no NFKC, no whitespace
// collapsing), byte fallback (an unseen character becomes its UTF-8 bytes, never <unk>),
// character coverage 1.0, no <s>/</s>. SentencePiece treats its input as sentences without
// newlines, so text is encoded line by line and each newline is the byte piece <0x0A> (always in
// the vocabulary thanks to byte fallback): decode(encode(s)) == s for any valid UTF-8 s.
// The vocabulary always holds <unk> + 256 byte pieces + every character of the training text;
// asking for fewer is a ConfigError naming the minimum. Asking for more than the corpus supports
// is not an error: training uses SentencePiece's soft limit and vocab_size() tells what was reached.
#include "localist/data/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace localist::data {

class SentencePieceTokenizer : public Tokenizer {
 public:
  // kind: "bpe" or "unigram"; model_proto: SentencePiece's serialised ModelProto.
  SentencePieceTokenizer(std::string kind, std::string model_proto, int64_t requested_vocab);
  ~SentencePieceTokenizer() override;

  static std::unique_ptr<SentencePieceTokenizer> train(const std::string& kind,
                                                       const std::string& text, int64_t vocab);
  static std::unique_ptr<SentencePieceTokenizer> from_json(const nlohmann::json& j);

  std::vector<int32_t> encode(const std::string& text) const override;  // DataError on bad UTF-8
  std::string decode(const std::vector<int32_t>& ids) const override;
  int64_t vocab_size() const override;
  std::string kind() const override { return kind_; }
  nlohmann::json to_json() const override;  // the model proto as base64
  std::string token_text(int32_t id) const override;

  int64_t requested_vocab() const { return requested_vocab_; }
  int32_t newline_id() const { return newline_id_; }

 private:
  std::string kind_;
  std::string model_proto_;
  int64_t requested_vocab_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  int32_t newline_id_ = -1;
};

}  // namespace localist::data
