#include "localist/data/topic_corpus.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "localist/core/errors.h"
#include "localist/data/portable_random.h"

namespace localist::data {
namespace {

const char* const kFunctionWords[] = {"the", "of", "and", "to", "in", "is", "that", "with"};

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

int64_t between(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(uniform_below(rng, static_cast<uint64_t>(hi - lo + 1)));
}

// Index drawn from weights w (not necessarily normalised).
int64_t draw(std::mt19937_64& rng, const std::vector<double>& w) {
  double total = 0;
  for (double x : w) total += x;
  double u = uniform01(rng) * total;
  for (size_t i = 0; i + 1 < w.size(); ++i)
    if ((u -= w[i]) < 0) return static_cast<int64_t>(i);
  return static_cast<int64_t>(w.size()) - 1;
}

std::string made_up_word(std::mt19937_64& rng) {
  static const std::string consonants = "bdfgklmnprstvz", vowels = "aeiou";
  std::string w;
  for (int64_t s = between(rng, 2, 3); s > 0; --s) {
    w += consonants[uniform_below(rng, consonants.size())];
    w += vowels[uniform_below(rng, vowels.size())];
  }
  return w;
}

}  // namespace

void TopicSpec::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw ConfigError("topic corpus: " + what);
  };
  need(n_blocks >= 1 && n_blocks <= 64, "n_blocks = " + std::to_string(n_blocks) + ": expected 1..64");
  need(keys >= 1, "keys = " + std::to_string(keys) + ": expected >= 1");
  need(min_vocab > keys && min_vocab <= max_vocab && max_vocab <= 500,
       "vocabulary " + std::to_string(min_vocab) + ".." + std::to_string(max_vocab) +
           ": expected keys < min_vocab <= max_vocab <= 500");
  need(min_len >= 1 && min_len <= max_len && max_len <= 200,
       "segment length " + std::to_string(min_len) + ".." + std::to_string(max_len) + ": expected 1 <= min <= max <= 200");
  need(zipf >= 0 && zipf <= 4, "zipf = " + std::to_string(zipf) + ": expected 0..4");
  need(function_rate >= 0 && function_rate < 1, "function_rate: expected [0, 1)");
  need(cross_rate >= 0 && cross_rate < 1 && (cross_rate == 0 || n_blocks > 1),
       "cross_rate: expected [0, 1), and 0 with one topic");
}

TopicWorld topic_world(const TopicSpec& spec) {
  spec.validate();
  std::mt19937_64 rng(splitmix64(spec.seed));
  TopicWorld w;
  std::set<std::string> used(std::begin(kFunctionWords), std::end(kFunctionWords));
  double total = 0;
  for (int64_t i = 0; i < spec.n_blocks; ++i) {
    std::vector<std::string> words;
    for (int64_t n = between(rng, spec.min_vocab, spec.max_vocab); static_cast<int64_t>(words.size()) < n;) {
      auto word = made_up_word(rng);
      if (used.insert(word).second) words.push_back(word);
    }
    w.words.push_back(words);
    w.frequency.push_back(std::pow(static_cast<double>(i + 1), -spec.zipf));
    total += w.frequency.back();
  }
  for (auto& f : w.frequency) f /= total;
  w.shared = {"="};
  w.shared.insert(w.shared.end(), std::begin(kFunctionWords), std::end(kFunctionWords));
  w.shared.insert(w.shared.end(), {",", "."});
  return w;
}

std::string topic_text(const TopicSpec& spec, const TopicWorld& world, int64_t n_tokens, uint64_t text_seed,
                       int64_t topics_available) {
  std::mt19937_64 rng(splitmix64(text_seed ^ 0x746f70696373ull));  // "topics"
  std::vector<double> function_weight;
  for (size_t r = 0; r < std::size(kFunctionWords); ++r) function_weight.push_back(1.0 / (r + 1));
  const int64_t K = topics_available > 0 ? std::min(topics_available, spec.n_blocks) : spec.n_blocks;
  const std::vector<double> frequency(world.frequency.begin(), world.frequency.begin() + K);
  const auto any_word = [&](int64_t topic) {  // a shuffled corpus forgets the segment's topic
    const auto& words = world.words[spec.shuffled ? draw(rng, frequency) : topic];
    return words[between(rng, 0, static_cast<int64_t>(words.size()) - 1)];
  };
  std::string text;
  for (int64_t tokens = 0; tokens < n_tokens;) {
    const int64_t i = draw(rng, frequency);
    const auto& own = world.words[i];
    const int64_t key = between(rng, 0, spec.keys - 1);
    std::string line = "= " + (spec.shuffled ? any_word(i) : own[key]);
    tokens += 2;
    for (int64_t n = between(rng, spec.min_len, spec.max_len); n > 0; --n) {
      if (uniform01(rng) < spec.function_rate) line += std::string(" ") + kFunctionWords[draw(rng, function_weight)], ++tokens;
      int64_t topic = i;
      if (uniform01(rng) < spec.cross_rate && K > 1) topic = (i + between(rng, 1, K - 1)) % K;  // another topic
      line += " " + any_word(topic), ++tokens;
      if (uniform01(rng) < 0.1) line += " ,", ++tokens;
    }
    const int64_t content = static_cast<int64_t>(own.size()) - spec.keys;
    line += " . " + (spec.shuffled ? any_word(i) : own[spec.keys + (7 * key + 3) % content]) + "\n";
    tokens += 3;  // ".", the answer, the newline
    text += line;
  }
  return text;
}

nlohmann::json topic_truth(const TopicSpec& spec, const TopicWorld& world) {
  nlohmann::json blocks = nlohmann::json::array();
  for (size_t i = 0; i < world.words.size(); ++i) {
    const auto& w = world.words[i];
    blocks.push_back({{"name", "T" + std::to_string(i)}, {"frequency", world.frequency[i]},
                      {"keys", std::vector<std::string>(w.begin(), w.begin() + spec.keys)}, {"types", w}});
  }
  if (spec.shuffled) {  // nothing to find: every topic word in one block
    std::vector<std::string> all;
    for (const auto& w : world.words) all.insert(all.end(), w.begin(), w.end());
    blocks = nlohmann::json::array({{{"name", "T"}, {"frequency", 1.0}, {"keys", nlohmann::json::array()}, {"types", all}}});
  }
  auto shared = world.shared;
  shared.push_back("\n");
  return {{"family", "topics"},
          {"spec", {{"n_blocks", spec.n_blocks}, {"min_vocab", spec.min_vocab}, {"max_vocab", spec.max_vocab},
                    {"keys", spec.keys}, {"zipf", spec.zipf}, {"function_rate", spec.function_rate},
                    {"cross_rate", spec.cross_rate}, {"min_len", spec.min_len}, {"max_len", spec.max_len},
                    {"seed", spec.seed}, {"shuffled", spec.shuffled}}},
          {"blocks", blocks},
          {"shared", shared}};
}

}  // namespace localist::data
