#include "localist/data/tokenizer.h"

#include "localist/core/errors.h"
#include "localist/data/byte_bpe_tokenizer.h"
#include "localist/data/char_tokenizer.h"
#include "localist/data/sentencepiece_tokenizer.h"
#include "localist/data/word_tokenizer.h"

namespace localist::data {

std::unique_ptr<Tokenizer> tokenizer_from_json(const nlohmann::json& j) {
  try {
    if (!j.is_object() || !j.contains("kind"))
      throw DataError("tokenizer json: missing field 'kind' (expected an object with kind = "
                      "char, word, bpe or unigram)");
    const std::string kind = j.at("kind").get<std::string>();
    if (kind == "char") return CharTokenizer::from_json(j);
    if (kind == "word") return WordTokenizer::from_json(j);
    if (kind == "bpe" || kind == "unigram") return SentencePieceTokenizer::from_json(j);
    if (kind == "gpt2") return ByteBpeTokenizer::from_json(j);
    throw DataError("tokenizer json: kind = '" + kind +
                    "' is unknown; expected char, word, bpe, unigram or gpt2");
  } catch (const nlohmann::json::exception& e) {
    // Wrong types or missing fields deep inside: still one line, still a DataError.
    throw DataError(std::string("tokenizer json: malformed (") + e.what() + ")");
  }
}

std::unique_ptr<Tokenizer> train_tokenizer(const std::string& kind, const std::string& train_text,
                                           int64_t vocab) {
  if (kind == "gpt2")
    throw ConfigError("tokenizer gpt2 is read from files, not trained: give " + setting("tokenizer_files") + " DIR "
                      "(vocab.json + merges.txt, or tokenizer.json)");
  if (kind != "char" && kind != "word" && kind != "bpe" && kind != "unigram")
    throw ConfigError("tokenizer = '" + kind + "' is unknown; expected char, word, bpe, unigram or gpt2");
  if (vocab < 0)
    throw ConfigError("tokenizer_vocab = " + std::to_string(vocab) + " is impossible; expected >= 0");
  if (train_text.find_first_not_of(" \t\r\n\v\f") == std::string::npos)
    throw DataError("tokenizer " + kind + ": training text is empty (or only whitespace)");
  if (kind == "char") return CharTokenizer::train(train_text);
  if (kind == "word") return WordTokenizer::train(train_text, vocab);
  return SentencePieceTokenizer::train(kind, train_text, vocab > 0 ? vocab : kDefaultPieceVocab);
}

void check_token_id(const std::string& kind, int32_t id, int64_t vocab_size) {
  if (id < 0 || id >= vocab_size)
    throw DataError("tokenizer " + kind + ": token id " + std::to_string(id) + " outside [0, " +
                    std::to_string(vocab_size) + ")");
}

}  // namespace localist::data
