#include "fuzz_targets.h"
#include "refusal.h"

#include <string>

#include <nlohmann/json.hpp>

#include "localist/core/errors.h"
#include "localist/core/safetensors.h"
#include "localist/data/tokenizer.h"
#include "localist/blocks/block_map.h"
#include "localist/blocks/rules.h"
#include "localist/run/checkpoint.h"

namespace localist::fuzz {
namespace {

const data::Tokenizer& word_tokenizer() {
  static const auto tok = data::train_tokenizer("word", "the cat sat on the mat\n0 1 2 3 , .\nA B C\n", 0);
  return *tok;
}

}  // namespace

bool safetensors(std::string_view bytes) {
  return refusal_ok([&] {
    const auto tensors = parse_safetensors(bytes, "fuzz");
    for (const auto& [name, t] : tensors) (void)t.sum();  // touch every byte read
  });
}

bool checkpoint(std::string_view bytes) {
  return refusal_ok([&] {
    const auto meta = checkpoint_meta_from_text(std::string(bytes), "fuzz input checkpoint.json");
    (void)parameter_count(meta.model);
    meta.data.validate();
    meta.train.validate();
    meta.localist.validate();
    meta.recruit.validate();
    const auto tok = data::tokenizer_from_json(meta.tokenizer);
    if (tok->kind() != "bpe" && tok->kind() != "unigram")  // SentencePiece's own parser: not ours
      (void)tok->decode(tok->encode("the cat\nsat"));
  });
}

// Accepted: the document parses and at least one block kind takes it.
bool rules(std::string_view bytes) {
  const std::string text(bytes);
  bool some_kind = false;
  const bool parsed = refusal_ok([&] {
    const auto doc = parse_rules_json(text, "fuzz input rules.json");
    for (const char* kind : {"window", "segment", "vocab"})
      some_kind |= refusal_ok([&] {
        (void)parse_rules(doc, word_tokenizer(), kind, "fuzz input rules.json", &text);
        LocalistConfig c;
        c.blocks = std::string(kind) == "window" ? "window:4" : kind;
        c.rules = doc;
        const auto blocks = BlockMap::from_config(c, word_tokenizer());
        (void)blocks.describe();
      });
  });
  return parsed && some_kind;
}

// Accepted: the text trains a tokenizer, or the text is a tokenizer's JSON that loads.
bool tokenizers(std::string_view bytes) {
  // first byte: which tokenizer and the word cap; the rest: training text, then text to encode
  if (bytes.empty()) return false;
  const bool word = bytes[0] & 1;
  const int64_t cap = (static_cast<unsigned char>(bytes[0]) >> 1) % 8;  // 0 = no cap, 1 is refused
  const std::string text(bytes.substr(1));
  const bool trained = refusal_ok([&] {
    const auto tok = data::train_tokenizer(word ? "word" : "char", text.substr(0, text.size() / 2), cap);
    const auto ids = tok->encode(text);
    const auto back = tok->decode(ids);
    for (int32_t id = 0; id < tok->vocab_size() && id < 64; ++id) (void)tok->token_text(id);
    const auto again = data::tokenizer_from_json(tok->to_json());
    if (again->encode(text) != ids) throw std::logic_error("tokenizer JSON round trip changed the encoding");
    (void)back;
  });
  bool loaded = false;
  refusal_ok([&] {  // the same bytes as a tokenizer's JSON
    const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return;
    const auto tok = data::tokenizer_from_json(j);
    if (tok->kind() != "bpe" && tok->kind() != "unigram") (void)tok->decode(tok->encode("the cat\nsat"));
    loaded = true;
  });
  return trained || loaded;
}

// Accepted: the body is a request the server would run (a RequestError is a 4xx, a refusal).
const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"safetensors", safetensors}, {"checkpoint", checkpoint}, {"rules", rules}, {"tokenizers", tokenizers},
      {"requests", requests}};
  return all;
}

}  // namespace localist::fuzz
