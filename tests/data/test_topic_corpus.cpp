// The topic corpus family (data/topic_corpus.h): the same world and text for the same seeds, every
// token in the truth (a block's type or shared), blocks of unequal size and frequency, words that
// cross into other blocks, the segment's last word a function of its key, bad settings refused.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "localist/core/errors.h"
#include "localist/data/topic_corpus.h"

namespace localist::data {
namespace {

std::vector<std::vector<std::string>> lines_of(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    out.emplace_back();
    for (std::string w; words >> w;) out.back().push_back(w);
  }
  return out;
}

TEST(TopicCorpus, TextFollowsItsTruth) {
  TopicSpec spec;
  spec.n_blocks = 5, spec.seed = 3, spec.cross_rate = 0.2;
  const auto world = topic_world(spec);
  const auto text = topic_text(spec, world, 20000, 77);
  EXPECT_EQ(text, topic_text(spec, topic_world(spec), 20000, 77));  // deterministic
  EXPECT_NE(text, topic_text(spec, world, 20000, 78));
  const auto truth = topic_truth(spec, world);
  std::map<std::string, int64_t> block_of;
  for (size_t i = 0; i < truth["blocks"].size(); ++i)
    for (const auto& w : truth["blocks"][i]["types"]) EXPECT_TRUE(block_of.emplace(w, i).second) << w;  // one block each
  std::set<std::string> shared(truth["shared"].begin(), truth["shared"].end());
  std::set<int64_t> sizes;
  for (const auto& b : truth["blocks"]) sizes.insert(b["types"].size());
  EXPECT_GT(sizes.size(), 1u);  // unequal sizes
  std::map<int64_t, int64_t> segments;
  int64_t crossing = 0, tokens = 0;
  for (const auto& line : lines_of(text)) {
    ASSERT_GE(line.size(), 4u);
    tokens += line.size() + 1;  // + the newline
    EXPECT_EQ(line[0], "=");
    const int64_t topic = block_of.at(line[1]);
    const auto& own = world.words[topic];
    const auto key = std::find(own.begin(), own.begin() + spec.keys, line[1]) - own.begin();
    ASSERT_LT(key, spec.keys) << line[1] << " is not a key";
    ++segments[topic];
    EXPECT_EQ(line[line.size() - 2], ".");
    const int64_t content = static_cast<int64_t>(own.size()) - spec.keys;
    EXPECT_EQ(line.back(), own[spec.keys + (7 * key + 3) % content]);  // the answer: a function of the key
    for (size_t k = 2; k + 2 < line.size(); ++k) {
      if (shared.count(line[k])) continue;
      ASSERT_TRUE(block_of.count(line[k])) << line[k];  // every token is typed
      crossing += block_of.at(line[k]) != topic;
    }
  }
  EXPECT_GE(tokens, 20000);
  EXPECT_GT(segments[0], 2 * segments[4]);  // Zipf: the first topic is far more frequent
  EXPECT_GT(crossing, 0);                  // references across blocks
}

TEST(TopicCorpus, BadSettingsAreRefusedNamingTheField) {
  TopicSpec spec;
  spec.keys = 10, spec.min_vocab = 8;
  EXPECT_THROW(topic_world(spec), ConfigError);
  spec = TopicSpec{};
  spec.n_blocks = 1, spec.cross_rate = 0.1;
  try {
    topic_world(spec);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cross_rate"), std::string::npos);
  }
}

}  // namespace
}  // namespace localist::data
