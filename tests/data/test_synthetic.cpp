// The synthetic corpus: deterministic from its seed, ground truth aligned token for token with
// the word tokenizer, echoes equal to the documented function of their anchor, and the oracle
// entropy rate checked against a closed form and against the per-token oracle.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>

#include "localist/core/errors.h"
#include "localist/data/synthetic.h"
#include "localist/data/tokenizer.h"

namespace localist::data {
namespace {

SyntheticSpec small_spec(uint64_t seed = 5) {
  SyntheticSpec s;
  s.n_blocks = 3;
  s.vocab_per_block = 7;
  s.min_segment = 3;
  s.max_segment = 9;
  s.n_tokens = 5000;
  s.seed = seed;
  return s;
}

TEST(Synthetic, IsDeterministicInTheSeed) {
  const auto a = generate_synthetic(small_spec(5));
  const auto b = generate_synthetic(small_spec(5));
  const auto c = generate_synthetic(small_spec(6));
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.block, b.block);
  EXPECT_EQ(a.anchor, b.anchor);
  EXPECT_EQ(a.depends_on, b.depends_on);
  EXPECT_NE(a.text, c.text);
  // Pinned default corpus: the generator draws through its own bounded-integer routine, so it is
  // the same on every platform; a change here changes every published number.
  const auto d = generate_synthetic(SyntheticSpec{});
  EXPECT_EQ(d.text.substr(0, d.text.find('\n')), "A10 a2 a6 a7 a2 a9 a10 a5 a6 a5 a2");
  EXPECT_EQ(d.text.size(), 574340u);
}

TEST(Synthetic, HoldsWholeSegmentsOfAtLeastTheRequestedSize) {
  const auto spec = small_spec();
  const auto c = generate_synthetic(spec);
  EXPECT_GE(c.size(), spec.n_tokens);
  EXPECT_LE(c.size(), spec.n_tokens + spec.max_segment);
  EXPECT_EQ(c.text.back(), '\n');
  ASSERT_EQ(c.anchor.size(), c.block.size());
  ASSERT_EQ(c.depends_on.size(), c.block.size());
  ASSERT_EQ(c.is_anchor.size(), c.block.size());
  ASSERT_EQ(c.role.size(), c.block.size());
  std::map<int64_t, int64_t> lengths;  // words per segment
  for (int64_t t = 0; t < c.size(); ++t)
    if (c.role[t] == SyntheticRole::End) ++lengths[t - c.anchor[t]];
  EXPECT_EQ(lengths.begin()->first, spec.min_segment);
  EXPECT_EQ(lengths.rbegin()->first, spec.max_segment);
}

TEST(Synthetic, GroundTruthAlignsWithTheWordTokenizer) {
  const auto spec = small_spec();
  const auto c = generate_synthetic(spec);
  auto tok = train_tokenizer("word", c.text, 0);
  const auto ids = tok->encode(c.text);
  ASSERT_EQ(static_cast<int64_t>(ids.size()), c.size());
  // 2 specials + K blocks x (V words + V anchors)
  EXPECT_EQ(tok->vocab_size(), 2 + spec.n_blocks * 2 * spec.vocab_per_block);
  for (int64_t t = 0; t < c.size(); ++t) {
    const std::string w = tok->token_text(ids[t]);
    const char lower = static_cast<char>('a' + c.block[t]);
    const char upper = static_cast<char>('A' + c.block[t]);
    ASSERT_LE(c.anchor[t], t);
    ASSERT_EQ(c.role[c.anchor[t]], SyntheticRole::Anchor) << t;
    ASSERT_EQ(c.block[c.anchor[t]], c.block[t]) << t;
    ASSERT_EQ(c.is_anchor[t], c.role[t] == SyntheticRole::Anchor) << t;
    switch (c.role[t]) {
      case SyntheticRole::Anchor:
        ASSERT_EQ(w[0], upper) << t;
        ASSERT_EQ(c.anchor[t], t);
        ASSERT_TRUE(t == 0 || c.role[t - 1] == SyntheticRole::End) << t;
        ASSERT_EQ(c.depends_on[t], -1);
        break;
      case SyntheticRole::Filler:
        ASSERT_EQ(w[0], lower) << t;
        ASSERT_EQ((t - c.anchor[t]) % 2, 1) << t;
        ASSERT_EQ(c.depends_on[t], -1);
        break;
      case SyntheticRole::Echo:
        ASSERT_EQ(w[0], lower) << t;
        ASSERT_EQ((t - c.anchor[t]) % 2, 0) << t;
        ASSERT_EQ(c.depends_on[t], c.anchor[t]);
        break;
      case SyntheticRole::End:
        ASSERT_EQ(w, "\n") << t;
        ASSERT_EQ(c.depends_on[t], -1);
        break;
      case SyntheticRole::Marker:
        FAIL() << "a marker without recall, at " << t;
    }
  }
}

TEST(Synthetic, EchoesAreTheDocumentedFunctionOfTheirAnchor) {
  const auto spec = small_spec();
  const auto c = generate_synthetic(spec);
  auto tok = train_tokenizer("word", c.text, 0);
  const auto ids = tok->encode(c.text);
  int64_t echoes = 0;
  for (int64_t t = 0; t < c.size(); ++t) {
    if (c.role[t] != SyntheticRole::Echo) continue;
    ++echoes;
    const std::string anchor = tok->token_text(ids[c.depends_on[t]]);
    const int64_t block = anchor[0] - 'A';
    const int64_t value = std::stoll(anchor.substr(1));
    const int64_t k = (t - c.anchor[t]) / 2;
    const int64_t index = (value * (2 * k + 1) + block) % spec.vocab_per_block;
    ASSERT_EQ(tok->token_text(ids[t]), std::string(1, char('a' + block)) + std::to_string(index))
        << "token " << t;
  }
  EXPECT_GT(echoes, c.size() / 5);
}

TEST(Synthetic, BlocksAndFillersAreUniform) {
  SyntheticSpec spec = small_spec();
  spec.n_tokens = 60000;
  const auto c = generate_synthetic(spec);
  std::vector<int64_t> per_block(spec.n_blocks);
  std::map<std::string, int64_t> fillers;
  auto tok = train_tokenizer("word", c.text, 0);
  const auto ids = tok->encode(c.text);
  int64_t n_fillers = 0;
  for (int64_t t = 0; t < c.size(); ++t) {
    if (c.role[t] == SyntheticRole::Anchor) ++per_block[c.block[t]];
    if (c.role[t] == SyntheticRole::Filler && c.block[t] == 0) ++fillers[tok->token_text(ids[t])], ++n_fillers;
  }
  const double segments = std::accumulate(per_block.begin(), per_block.end(), 0.0);
  for (int64_t b : per_block) EXPECT_NEAR(b / segments, 1.0 / spec.n_blocks, 0.03);
  EXPECT_EQ(static_cast<int64_t>(fillers.size()), spec.vocab_per_block);
  for (const auto& [w, n] : fillers)
    EXPECT_NEAR(static_cast<double>(n) / n_fillers, 1.0 / spec.vocab_per_block, 0.03) << w;
}

TEST(Synthetic, OracleMatchesTheClosedFormForFixedLengths) {
  SyntheticSpec s = small_spec();
  s.min_segment = s.max_segment = 5;  // no length uncertainty: <eos> is certain
  // per segment: anchor ln(3 * 7), fillers at positions 1 and 3: 2 ln 7; 6 tokens.
  EXPECT_NEAR(synthetic_optimal_nll(s), (std::log(21.0) + 2 * std::log(7.0)) / 6, 1e-12);
  s.min_segment = 1, s.max_segment = 2;  // L = 1 (anchor + eos) or 2 (anchor filler eos)
  const double expected = (std::log(21.0) + std::log(2.0) + 0.5 * std::log(7.0)) / 2.5;
  EXPECT_NEAR(synthetic_optimal_nll(s), expected, 1e-12);
}

TEST(Synthetic, PerTokenOracleSumsToTheSegmentProbability) {
  const auto spec = small_spec();
  const auto c = generate_synthetic(spec);
  const auto nll = synthetic_oracle_nll(c, spec);
  ASSERT_EQ(static_cast<int64_t>(nll.size()), c.size());
  const double n_lengths = spec.max_segment - spec.min_segment + 1;
  // Each segment's NLLs sum to -ln P(segment) = ln(K V) + ln(#lengths) + #fillers ln V.
  double sum = 0;
  int64_t fillers = 0;
  for (int64_t t = 0; t < c.size(); ++t) {
    ASSERT_GE(nll[t], 0.0);
    if (c.role[t] == SyntheticRole::Echo && t - c.anchor[t] < spec.min_segment) {
      ASSERT_EQ(nll[t], 0.0) << "an echo before any possible end is certain";
    }
    sum += nll[t];
    fillers += c.role[t] == SyntheticRole::Filler;
    if (c.role[t] == SyntheticRole::End) {
      const double expected = std::log(double(spec.n_blocks * spec.vocab_per_block)) +
                              std::log(n_lengths) + fillers * std::log(double(spec.vocab_per_block));
      ASSERT_NEAR(sum, expected, 1e-9) << "segment ending at " << t;
      sum = 0, fillers = 0;
    }
  }
}

TEST(Synthetic, EmpiricalOracleConvergesToTheEntropyRate) {
  SyntheticSpec spec;  // the default corpus
  spec.n_tokens = 200000;
  const auto c = generate_synthetic(spec);
  const auto nll = synthetic_oracle_nll(c, spec);
  const double mean = std::accumulate(nll.begin(), nll.end(), 0.0) / nll.size();
  EXPECT_NEAR(mean, synthetic_optimal_nll(spec), 0.01 * synthetic_optimal_nll(spec));
}

TEST(Synthetic, ImpossibleSpecsAreConfigErrors) {
  SyntheticSpec s;
  s.n_blocks = 27;
  EXPECT_THROW(generate_synthetic(s), ConfigError);
  s = SyntheticSpec{};
  s.min_segment = 0;
  EXPECT_THROW(generate_synthetic(s), ConfigError);
  s = SyntheticSpec{};
  s.max_segment = s.min_segment - 1;
  EXPECT_THROW(synthetic_optimal_nll(s), ConfigError);
  s = SyntheticSpec{};
  s.vocab_per_block = 0;
  EXPECT_THROW(generate_synthetic(s), ConfigError);
}

}  // namespace
}  // namespace localist::data
