#pragma once
// A second corpus family with known blocks, built to look more like real text than
// data/synthetic.h (issue 20): made-up words, blocks of unequal size and frequency, tokens that
// every block shares (a segment marker, function words, punctuation, the newline) and words that
// cross into other blocks. Ground truth per word type: its block, or "shared".
//
// The world (from `seed`): K topics. Topic i has a made-up vocabulary of V_i content words, V_i
// uniform in [min_vocab, max_vocab], the first `keys` of them its key words; topic frequencies
// p_i proportional to (i + 1)^-zipf. Words are 2-3 syllables of consonant + vowel, unique across
// topics and distinct from the shared tokens.
// A segment (one line), drawn from the text seed:
//   "=" topic i ~ p; key k ~ uniform over i's keys, written second;
//   L content words, L uniform in [min_len, max_len]; before each, with probability
//   function_rate, one of the 8 function words (frequencies 1/(rank + 1)); each content word is
//   topic i's (uniform) or, with probability cross_rate, a word of another topic j (uniform
//   over the other topics and j's words): a reference across blocks; after each, with
//   probability 0.1, a ",";
//   "." and then the answer: topic i's content word answer(i, k) = word (keys + (7k + 3) mod
//   (V_i - keys)): a function of the key, predictable only by reading back to it.
// Tokens are separated by single spaces, so the word tokenizer splits them as the truth does.
// Null corpus (`shuffled`): the same lines, but every topic word (key, content, answer) is drawn
// afresh from all topics by their frequencies: each word keeps its frequency, no topic keeps its
// company, the answer depends on nothing. Its truth is one block: there is nothing to find.
// Phases (`topics_available` of topic_text): only the first topics are drawn from, so a corpus
// whose topics arrive over time is a sequence of texts with more and more of them.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace localist::data {

struct TopicSpec {
  int64_t n_blocks = 4;
  int64_t min_vocab = 10, max_vocab = 40;  // content words per topic, keys included
  int64_t keys = 4;                        // key words per topic (each fixes an answer)
  double zipf = 1.0;                       // topic frequency ~ (i + 1)^-zipf
  double function_rate = 0.3;              // P(a function word before a content word)
  double cross_rate = 0.1;                 // P(a content word from another topic)
  int64_t min_len = 4, max_len = 12;       // content words per segment
  uint64_t seed = 1;                       // the world: vocabularies and frequencies
  bool shuffled = false;                   // a null corpus: topic words drawn regardless of the segment
  void validate() const;                   // ConfigError naming the field
};

struct TopicWorld {
  std::vector<std::vector<std::string>> words;  // per topic: keys first, then the other content words
  std::vector<double> frequency;                // per topic, summing to 1
  std::vector<std::string> shared;              // "=", the function words, ",", "." (and "\n")
};

TopicWorld topic_world(const TopicSpec& spec);

// At least n_tokens tokens of whole segments (newlines counted), from text seed `text_seed`;
// topics_available > 0: segments of the first topics_available topics only (references too).
std::string topic_text(const TopicSpec& spec, const TopicWorld& world, int64_t n_tokens, uint64_t text_seed,
                       int64_t topics_available = 0);

// The ground truth: {"family": "topics", "spec": {...}, "blocks": [{"name", "frequency", "keys",
// "types"}], "shared": [...]}; "\n" stands for the newline (the word tokenizer's <eos>). A
// shuffled corpus: one block "T" holding every topic word.
nlohmann::json topic_truth(const TopicSpec& spec, const TopicWorld& world);

}  // namespace localist::data
