// The interleaved synthetic corpus: token-aligned ground truth, echoes that follow the latest
// anchor of their own block, the stay probability, and the oracle against its closed form.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "localist/core/errors.h"
#include "localist/data/synthetic.h"
#include "localist/data/tokenizer.h"

namespace localist::data {
namespace {

SyntheticSpec interleaved(int64_t k, double stay = 0.8) {
  SyntheticSpec s;
  s.n_blocks = k;
  s.vocab_per_block = 7;
  s.min_segment = 3;
  s.max_segment = 9;
  s.n_tokens = 60000;
  s.seed = 9;
  s.interleave = true;
  s.stay = stay;
  return s;
}

TEST(SyntheticInterleaved, TruthAlignsAndEchoesFollowTheirOwnBlock) {
  const auto spec = interleaved(3);
  const auto c = generate_synthetic(spec);
  const auto tok = train_tokenizer("word", c.text, 0);
  const auto ids = tok->encode(c.text);
  ASSERT_EQ(static_cast<int64_t>(ids.size()), c.size());  // no <eos>: one line of words
  std::vector<int64_t> latest(3, -1);
  int64_t stays = 0, crossed = 0;
  for (int64_t t = 0; t < c.size(); ++t) {
    const std::string w = tok->token_text(ids[t]);
    ASSERT_EQ(std::tolower(w[0]) - 'a', c.block[t]) << t;  // a word's letter is its block
    if (c.is_anchor[t]) latest[c.block[t]] = t;
    EXPECT_EQ(c.anchor[t], latest[c.block[t]]);  // the latest anchor of its own block
    if (c.role[t] == SyntheticRole::Echo) {
      EXPECT_EQ(c.depends_on[t], c.anchor[t]);
      crossed += c.block[t - 1] != c.block[t];
    }
    if (t > 0) stays += c.block[t] == c.block[t - 1];
  }
  EXPECT_NEAR(static_cast<double>(stays) / static_cast<double>(c.size() - 1), 0.8, 0.01);
  EXPECT_GT(crossed, 1000);  // echoes whose previous token belongs to another block
}

TEST(SyntheticInterleaved, OracleMatchesItsClosedForm) {
  for (int64_t k : {1, 2, 4}) {
    const auto spec = interleaved(k);
    const auto c = generate_synthetic(spec);
    const auto nll = synthetic_oracle_nll(c, spec);
    const double mean = std::accumulate(nll.begin(), nll.end(), 0.0) / static_cast<double>(nll.size());
    EXPECT_NEAR(mean, synthetic_optimal_nll(spec), 0.03) << "K = " << k;
  }
  // the stream choice alone, by hand, for K = 4, stay 0.8
  const double choice = -0.8 * std::log(0.8) - 0.2 * std::log(0.2 / 3);
  auto a = interleaved(4), b = interleaved(1);
  EXPECT_NEAR(synthetic_optimal_nll(a) - synthetic_optimal_nll(b), choice, 1e-12);
}

TEST(SyntheticInterleaved, BadStayIsAnError) {
  auto s = interleaved(3, 1.0);
  EXPECT_THROW(generate_synthetic(s), ConfigError);
}

}  // namespace
}  // namespace localist::data
