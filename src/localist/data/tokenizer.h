#pragma once
// A tokenizer turns text into token ids and back. Four kinds, chosen with --tokenizer:
//   char     one id per distinct byte of the training text (nanoGPT's shakespeare_char), plus <unk>;
//   word     whitespace-separated words with <unk> and <eos> (WikiText's convention);
//   bpe      SentencePiece byte-pair encoding;
//   unigram  SentencePiece unigram language model;
//   gpt2     GPT-2's byte-level BPE, read from Hugging Face files (byte_bpe_tokenizer.h).
// A tokenizer is fully described by its JSON (to_json), which checkpoints store, so a model
// always reopens with exactly the tokenizer it was trained with.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace localist::data {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<int32_t> encode(const std::string& text) const = 0;
  // Throws DataError on an id outside [0, vocab_size()).
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual std::string kind() const = 0;  // "char" | "word" | "bpe" | "unigram" | "gpt2"
  // Everything needed to rebuild it; includes "kind" and a "format" number that changes whenever
  // the same JSON would encode text differently (it is part of the token cache key).
  virtual nlohmann::json to_json() const = 0;
  // One token's surface form, for explain views: "\n" for newline tokens, " " for SentencePiece's
  // word-boundary mark, "<unk>" for the unknown token, "<0xNN>" for a lone non-ASCII byte (so the
  // result is always valid UTF-8 and can go into JSON/HTML). Throws DataError on a bad id.
  virtual std::string token_text(int32_t id) const = 0;
};

// Rebuilds a tokenizer from to_json(); DataError on malformed JSON (missing/ill-typed fields,
// unknown kind, corrupt SentencePiece model).
std::unique_ptr<Tokenizer> tokenizer_from_json(const nlohmann::json& j);

// The bpe/unigram vocabulary when none is asked for (vocab = 0).
constexpr int64_t kDefaultPieceVocab = 2000;

// Builds a tokenizer of `kind` from the training text. vocab: target size for bpe/unigram, 0 = kDefaultPieceVocab (a
// soft target: a corpus too small to reach it yields fewer pieces, see vocab_size()); for word, a
// cap (0 = no cap) keeping the most frequent words, <unk> and <eos> included; ignored for char.
// ConfigError on an unknown kind or an impossible vocab; DataError on empty text.
std::unique_ptr<Tokenizer> train_tokenizer(const std::string& kind, const std::string& train_text,
                                           int64_t vocab);

// Shared by the implementations: DataError "tokenizer KIND: token id ID outside [0, N)".
void check_token_id(const std::string& kind, int32_t id, int64_t vocab_size);

}  // namespace localist::data
