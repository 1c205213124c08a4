#pragma once
// Word tokenizer in WikiText's convention: each line is split on spaces/tabs (also \r, \v, \f),
// every newline becomes the token <eos>. Ids: 0 = <unk>, 1 = <eos>, then the training words by
// frequency (descending; ties by byte order, so the vocabulary is deterministic).
// Unknown words encode to <unk>; a literal "<unk>" in the text (WikiText has many) is the same
// token, and a literal "<eos>" is the newline token. decode joins words with single spaces and
// turns <eos> into "\n", so round trips are exact for text normalised as single-space-separated
// words on lines ending in "\n" (the usual WikiText loader's normalisation).
#include <unordered_map>

#include "localist/data/tokenizer.h"

namespace localist::data {

class WordTokenizer : public Tokenizer {
 public:
  static constexpr int32_t kUnk = 0;
  static constexpr int32_t kEos = 1;

  // `words`: the vocabulary after <unk> and <eos>; words[k] gets id k + 2.
  explicit WordTokenizer(std::vector<std::string> words);
  // cap > 0 keeps the cap - 2 most frequent words (the total vocabulary is then <= cap).
  static std::unique_ptr<WordTokenizer> train(const std::string& text, int64_t cap);
  static std::unique_ptr<WordTokenizer> from_json(const nlohmann::json& j);

  std::vector<int32_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int32_t>& ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(vocab_.size()); }
  std::string kind() const override { return "word"; }
  nlohmann::json to_json() const override;
  std::string token_text(int32_t id) const override;  // the word; "\n" for <eos>

  // Calls f(word) for each word and f("\n") for each newline: the one definition of splitting.
  template <typename F>
  static void split(const std::string& text, F&& f);

 private:
  std::vector<std::string> vocab_;  // id -> word, <unk> and <eos> included
  std::unordered_map<std::string, int32_t> id_of_;
};

template <typename F>
void WordTokenizer::split(const std::string& text, F&& f) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
  };
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const char c = text[i];
    if (c == '\n') {
      f(std::string_view("\n"));
      ++i;
    } else if (is_space(c)) {
      ++i;
    } else {
      size_t j = i;
      while (j < n && text[j] != '\n' && !is_space(text[j])) ++j;
      f(std::string_view(text.data() + i, j - i));
      i = j;
    }
  }
}

}  // namespace localist::data
