// Many blocks in one decision (recruit/communities.h): on topic corpora (data/topic_corpus.h:
// a shared marker, function words and punctuation, topics of unequal size and frequency, words
// crossing into other topics) the co-occurrence communities with the shared types set apart are
// the true topics; on a graph with two cliques joined by one edge, Louvain finds the cliques.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "localist/data/tokenizer.h"
#include "localist/data/topic_corpus.h"
#include "localist/metrics/block_recovery.h"
#include "localist/recruit/communities.h"

namespace localist {
namespace {

struct Recovered {
  int64_t exact = 0, true_blocks = 0;
  double ari = 0;
  int64_t shared_in_blocks = 0;  // the world's shared tokens put in a block
};

// A topic world's text, its types seen 5 times partitioned, and the partition against the truth.
Recovered recover(int64_t k, uint64_t seed, int64_t tokens) {
  data::TopicSpec spec;
  spec.n_blocks = k, spec.seed = seed;
  const auto world = data::topic_world(spec);
  const auto text = data::topic_text(spec, world, tokens, seed + 1);
  auto tok = data::train_tokenizer("word", text, 0);
  const auto ids = tok->encode(text);
  const auto train = data::TokenFile::from_tokens(ids, tok->vocab_size());
  std::vector<int64_t> count(tok->vocab_size(), 0), types;
  for (auto t : ids) ++count[t];
  for (int64_t t = 0; t < tok->vocab_size(); ++t)
    if (count[t] >= 5) types.push_back(t);
  const auto parts = shared_communities(train, types);
  std::map<int64_t, int64_t> found;
  for (size_t c = 0; c < parts.blocks.size(); ++c)
    for (auto t : parts.blocks[c]) found[t] = static_cast<int64_t>(c) + 1;
  std::vector<TrueBlock> truth;
  for (size_t i = 0; i < world.words.size(); ++i) {
    TrueBlock b{"T" + std::to_string(i), {}};
    for (const auto& w : world.words[i]) b.types.push_back(tok->encode(w)[0]);
    truth.push_back(b);
  }
  const auto r = block_recovery(truth, found);
  Recovered out{r["exact"].get<int64_t>(), r["true_blocks"].get<int64_t>(), r["adjusted_rand_index"].get<double>(), 0};
  for (const auto& w : world.shared)
    if (found.count(tok->encode(w)[0])) ++out.shared_in_blocks;
  return out;
}

// Worlds never used to choose the 0.4 (seeds 5, 6, 7), at the CI corpus size.
TEST(Communities, TopicWorldsSplitIntoTheirTrueTopicsWithSharedTokensLeftOut) {
  int64_t exact = 0, blocks = 0;
  for (int64_t k : {2, 4, 8})
    for (uint64_t seed : {5, 6, 7}) {
      const auto r = recover(k, seed, 60000);
      SCOPED_TRACE("K* " + std::to_string(k) + " seed " + std::to_string(seed));
      EXPECT_GE(r.ari, 0.85);
      EXPECT_LE(r.shared_in_blocks, 1);
      exact += r.exact, blocks += r.true_blocks;
    }
  EXPECT_GE(exact, blocks - 2) << exact << " of " << blocks << " true blocks exact";
}

// The table behind kSpread (docs/recruitment.md): the seen worlds' partitions against their truth.
// Not a check: run it with --gtest_also_run_disabled_tests (TOKENS=60000 for the smaller size).
TEST(Communities, DISABLED_SeenWorldsTable) {
  const int64_t tokens = std::getenv("TOKENS") ? std::atoll(std::getenv("TOKENS")) : 300000;
  int64_t exact = 0, blocks = 0, shared = 0;
  double ari = 0;
  int64_t worlds = 0;
  for (int64_t k : {2, 3, 4, 6, 8})
    for (uint64_t seed : {11, 12, 101, 102, 103, 201, 202, 203}) {
      const auto r = recover(k, seed, tokens);
      std::printf("K* %lld seed %llu: exact %lld/%lld ARI %.3f shared types in blocks %lld\n", (long long)k,
                  (unsigned long long)seed, (long long)r.exact, (long long)r.true_blocks, r.ari,
                  (long long)r.shared_in_blocks);
      exact += r.exact, blocks += r.true_blocks, shared += r.shared_in_blocks, ari += r.ari, ++worlds;
    }
  std::printf("%lld tokens: %lld of %lld true blocks exact, mean ARI %.3f, %lld shared types in blocks\n",
              (long long)tokens, (long long)exact, (long long)blocks, ari / worlds, (long long)shared);
}

// Two 4-cliques joined by one edge, as a token stream: each clique's words only ever follow each
// other, except one crossing. Louvain puts each clique in a community; no shared type.
TEST(Communities, TwoCliquesJoinedByAnEdgeAreTwoCommunities) {
  std::vector<int32_t> ids;
  for (int rep = 0; rep < 200; ++rep) {
    for (int32_t w : {0, 1, 2, 3, 0, 2, 1, 3}) ids.push_back(w);
    for (int i = 0; i < 20; ++i) ids.push_back(8);  // a gap the window (3) does not cross
    for (int32_t w : {4, 5, 6, 7, 4, 6, 5, 7}) ids.push_back(w);
    for (int i = 0; i < 20; ++i) ids.push_back(8);
  }
  for (int32_t w : {3, 4}) ids.push_back(w);  // the one edge between them
  const auto train = data::TokenFile::from_tokens(ids, 9);
  const auto groups = communities(train, {0, 1, 2, 3, 4, 5, 6, 7});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0], (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(groups[1], (std::vector<int64_t>{4, 5, 6, 7}));
  const auto parts = shared_communities(train, {0, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(parts.blocks.size(), 2u);
  EXPECT_TRUE(parts.shared.empty());
}

}  // namespace
}  // namespace localist
