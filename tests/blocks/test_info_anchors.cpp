// Information-theoretic anchors: on the synthetic corpus, whose anchors are known, the N types
// that say most about their segment's continuation are exactly its N anchor words.
#include <gtest/gtest.h>

#include "localist/data/synthetic.h"
#include "localist/blocks/info_anchors.h"

namespace localist {
namespace {

TEST(InfoAnchors, RecoversTheSyntheticAnchorWords) {
  data::SyntheticSpec spec;
  spec.n_tokens = 40000;
  const auto corpus = data::generate_synthetic(spec);
  auto tok = data::train_tokenizer("word", corpus.text, 0);
  auto ids = tok->encode(corpus.text);
  auto file = data::TokenFile::from_tokens(ids, tok->vocab_size());
  InfoAnchorOptions opt;
  opt.n = spec.n_blocks * spec.vocab_per_block;  // as many as there are anchor words (48)
  auto scores = info_anchors(file, BlockMap::from_spec("segment", *tok), 64, opt);
  ASSERT_EQ(static_cast<int64_t>(scores.size()), opt.n);
  int anchors = 0;
  for (const auto& s : scores) {
    const std::string w = tok->token_text(static_cast<int32_t>(s.token));
    anchors += std::isupper(static_cast<unsigned char>(w[0])) != 0;  // "C5": an anchor word
    EXPECT_GT(s.score_nats, 0.0);
  }
  EXPECT_EQ(anchors, opt.n);
  for (size_t i = 1; i < scores.size(); ++i) EXPECT_GE(scores[i - 1].score_nats, scores[i].score_nats);
}

TEST(InfoAnchors, RareTypesAreNotCandidates) {
  // "q" occurs once, always followed by the same token: informative by chance only
  std::vector<int32_t> ids;
  for (int i = 0; i < 200; ++i) ids.insert(ids.end(), {2, 3, 4, 1});
  ids[1] = 5;
  auto file = data::TokenFile::from_tokens(ids, 6);
  InfoAnchorOptions opt;
  opt.n = 10;
  for (const auto& s : info_anchors(file, BlockMap::segment({1}), 16, opt)) EXPECT_NE(s.token, 5);
}

}  // namespace
}  // namespace localist
