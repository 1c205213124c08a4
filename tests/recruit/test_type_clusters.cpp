// Splitting token types by the company they keep recovers the synthetic corpus's true blocks.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "localist/data/synthetic.h"
#include "localist/data/topic_corpus.h"
#include "localist/data/token_file.h"
#include "localist/data/tokenizer.h"
#include "localist/recruit/type_clusters.h"

namespace localist {
namespace {

void expect_letters_split(bool interleave) {
  data::SyntheticSpec spec;
  spec.n_blocks = 2;
  spec.n_tokens = 60000;
  spec.interleave = interleave;
  const auto c = data::generate_synthetic(spec);
  const auto tok = data::train_tokenizer("word", c.text, 0);
  auto ids = tok->encode(c.text);
  std::vector<int64_t> types;
  for (int32_t id = 0; id < static_cast<int32_t>(tok->vocab_size()); ++id) {
    const auto w = tok->token_text(id);
    if (!w.empty() && std::isalpha(static_cast<unsigned char>(w[0])) && w != "<unk>") types.push_back(id);
  }
  ASSERT_EQ(types.size(), 48u);  // 2 blocks x (12 words + 12 anchors)
  const auto train = data::TokenFile::from_tokens(ids, tok->vocab_size());
  const auto split = split_types(train, types);
  ASSERT_EQ(split.a.size(), 24u);
  ASSERT_EQ(split.b.size(), 24u);
  std::set<char> la, lb;
  for (auto t : split.a) la.insert(static_cast<char>(std::tolower(tok->token_text(t)[0])));
  for (auto t : split.b) lb.insert(static_cast<char>(std::tolower(tok->token_text(t)[0])));
  EXPECT_EQ(la.size(), 1u);  // each side is one letter: one true block
  EXPECT_EQ(lb.size(), 1u);
  EXPECT_NE(*la.begin(), *lb.begin());
  EXPECT_GT(split.total, split.within);
}

TEST(TypeClusters, RecoverTheTrueBlocks) { expect_letters_split(false); }
TEST(TypeClusters, RecoverTheTrueBlocksInterleaved) { expect_letters_split(true); }

// Only the lower-case words shape the split; the anchors (capitals), given as members, must
// each join the side of their own letter, and the split itself is the same as without them.
TEST(TypeClusters, MembersJoinTheSideOfTheirBlock) {
  data::SyntheticSpec spec;
  spec.n_blocks = 2;
  spec.n_tokens = 60000;
  const auto c = data::generate_synthetic(spec);
  const auto tok = data::train_tokenizer("word", c.text, 0);
  const auto train = data::TokenFile::from_tokens(tok->encode(c.text), tok->vocab_size());
  std::vector<int64_t> words, anchors;
  for (int32_t id = 0; id < static_cast<int32_t>(tok->vocab_size()); ++id) {
    const auto w = tok->token_text(id);
    if (w.empty() || w == "<unk>" || !std::isalpha(static_cast<unsigned char>(w[0]))) continue;
    (std::islower(static_cast<unsigned char>(w[0])) ? words : anchors).push_back(id);
  }
  ASSERT_EQ(words.size(), 24u);
  ASSERT_EQ(anchors.size(), 24u);
  const auto plain = split_types(train, words);
  const auto split = split_types(train, words, {}, anchors);
  ASSERT_EQ(split.a.size() + split.b.size(), 48u);
  for (const auto* side : {&split.a, &split.b}) {
    std::set<char> letters;
    for (auto t : *side) letters.insert(static_cast<char>(std::tolower(tok->token_text(t)[0])));
    EXPECT_EQ(letters.size(), 1u);
    EXPECT_EQ(side->size(), 24u);
  }
  EXPECT_DOUBLE_EQ(split.within, plain.within);  // members do not move the centres
}

TEST(TypeClusters, FewerThanTwoTypesStayTogether) {
  const auto train = data::TokenFile::from_tokens({0, 1, 2, 1, 0}, 3);
  const auto s = split_types(train, {1});
  EXPECT_EQ(s.a, std::vector<int64_t>{1});
  EXPECT_TRUE(s.b.empty());
}

// Settling a split by the company its types keep, on a topic corpus (shared tokens, function
// words, references across topics): types put on the wrong side of the true edge go back; a cut
// inside one topic (its keys and their answers against the rest) dissolves.
TEST(TypeClusters, SettlingKeepsATrueEdgeAndDissolvesACutInsideABlock) {
  data::TopicSpec spec;
  spec.n_blocks = 2;
  spec.seed = 5;
  const auto world = data::topic_world(spec);
  const auto text = data::topic_text(spec, world, 60000, 1);
  const auto tok = data::train_tokenizer("word", text, 0);
  const auto train = data::TokenFile::from_tokens(tok->encode(text), tok->vocab_size());
  auto ids = [&](const std::vector<std::string>& words) {
    std::vector<int64_t> out;
    for (const auto& w : words) out.push_back(tok->encode(w).at(0));
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto t0 = ids(world.words[0]), t1 = ids(world.words[1]);
  // three of topic 0's words on topic 1's side
  std::vector<int64_t> a(t0.begin() + 3, t0.end()), b = t1;
  b.insert(b.end(), t0.begin(), t0.begin() + 3);
  settle_sides(train, a, b);
  EXPECT_EQ(a, t0);
  EXPECT_EQ(b, t1);
  // topic 0's keys and the words that answer them, against its other words
  const int64_t keys = spec.keys, V0 = static_cast<int64_t>(world.words[0].size());
  std::vector<std::string> cut_words, rest_words;
  std::set<int64_t> answers;
  for (int64_t k = 0; k < keys; ++k) answers.insert(keys + (7 * k + 3) % (V0 - keys));
  for (int64_t i = 0; i < V0; ++i)
    (i < keys || answers.count(i) ? cut_words : rest_words).push_back(world.words[0][i]);
  auto cut = ids(cut_words), rest = ids(rest_words);
  ASSERT_FALSE(cut.empty());
  settle_sides(train, cut, rest);
  EXPECT_TRUE(cut.empty() || rest.empty()) << cut.size() << " / " << rest.size();
}

}  // namespace
}  // namespace localist
