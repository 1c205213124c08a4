#pragma once
// GPT-2's byte-level BPE (kind "gpt2"), token for token what Hugging Face `tokenizers`
// (ByteLevel pre-tokenizer + BPE model, GPT-2's settings) and `transformers`' GPT2Tokenizer give:
//   1. special tokens (e.g. <|endoftext|>) are cut out of the text first and map to their ids;
//   2. the rest is split by GPT-2's pattern
//        's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//      (PCRE2 in UTF + Unicode-property mode: the same classes as the Rust and Python regexes);
//   3. each piece's bytes are written as printable characters (bytes_to_unicode: printable Latin-1
//      stands for itself, the other bytes for U+0100 onwards), and BPE merges the adjacent pair
//      of lowest rank until none is left; each resulting symbol is a vocabulary entry.
// Decoding maps the characters back to bytes: a round trip is exact for any valid UTF-8 text.
// Read from `vocab.json` + `merges.txt` or from a `tokenizer.json`; stored in checkpoints whole.
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "localist/data/tokenizer.h"

namespace localist::data {

class ByteBpeTokenizer : public Tokenizer {
 public:
  // vocab[id] = the token in the byte-to-unicode alphabet; merges in rank order ("a b" pairs);
  // special: tokens matched literally in the text before anything else (ids from vocab).
  ByteBpeTokenizer(std::vector<std::string> vocab, std::vector<std::pair<std::string, std::string>> merges,
                   std::vector<std::string> special);
  ~ByteBpeTokenizer() override;

  // DIR/vocab.json + DIR/merges.txt (GPT-2's files), or DIR/tokenizer.json; DataError/PathError
  // naming the file and what is wrong.
  static std::unique_ptr<ByteBpeTokenizer> from_directory(const std::string& dir);
  static std::unique_ptr<ByteBpeTokenizer> from_json(const nlohmann::json& j);

  std::vector<int32_t> encode(const std::string& text) const override;  // DataError on bad UTF-8
  std::string decode(const std::vector<int32_t>& ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(vocab_.size()); }
  std::string kind() const override { return "gpt2"; }
  nlohmann::json to_json() const override;
  std::string token_text(int32_t id) const override;

  // The token strings and merges as Hugging Face writes them (for export).
  const std::vector<std::string>& vocab() const { return vocab_; }
  const std::vector<std::pair<std::string, std::string>>& merges() const { return merges_; }
  const std::vector<std::string>& special() const { return special_; }

 private:
  void bpe(const std::string& piece, std::vector<int32_t>& out) const;
  void encode_plain(const std::string& text, size_t begin, size_t end, std::vector<int32_t>& out) const;

  std::vector<std::string> vocab_;
  std::vector<std::pair<std::string, std::string>> merges_;
  std::vector<std::string> special_;
  std::unordered_map<std::string, int32_t> id_of_;
  std::unordered_map<std::string, int32_t> rank_of_;  // "a\x01b" -> merge rank
  struct Pattern;
  std::unique_ptr<Pattern> pattern_;  // the compiled pre-tokenizer (PCRE2), read-only once built
};

// bytes_to_unicode: byte b -> the UTF-8 of the character that stands for it.
const std::vector<std::string>& byte_symbols();

}  // namespace localist::data
