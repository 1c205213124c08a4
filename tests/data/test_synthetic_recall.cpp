// The recall synthetic corpus: segments that leave out their anchor recall their block's latest
// value, so an echo's anchor lies behind other blocks' segments; the oracle against its closed
// form and against the segment probability.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "localist/core/errors.h"
#include "localist/data/synthetic.h"
#include "localist/data/tokenizer.h"

namespace localist::data {
namespace {

SyntheticSpec recalling(int64_t k, double r) {
  SyntheticSpec s;
  s.n_blocks = k;
  s.vocab_per_block = 7;
  s.min_segment = 3;
  s.max_segment = 9;
  s.n_tokens = 80000;
  s.seed = 5;
  s.recall = r;
  return s;
}

TEST(SyntheticRecall, EchoesFollowTheLatestAnchorOfTheirBlock) {
  const auto spec = recalling(4, 0.6);
  const auto c = generate_synthetic(spec);
  const auto tok = train_tokenizer("word", c.text, 0);
  const auto ids = tok->encode(c.text);
  ASSERT_EQ(static_cast<int64_t>(ids.size()), c.size());
  std::vector<int64_t> latest(4, -1);
  int64_t segments = 0, recalled = 0, behind_others = 0;
  for (int64_t t = 0; t < c.size(); ++t) {
    const std::string w = tok->token_text(ids[t]);
    if (c.role[t] != SyntheticRole::End) {
      ASSERT_EQ(std::tolower(w[0]) - 'a', c.block[t]) << t;
    }
    if (c.is_anchor[t]) latest[c.block[t]] = t;
    EXPECT_EQ(c.anchor[t], latest[c.block[t]]) << t;
    if (c.role[t] == SyntheticRole::Echo) {
      ASSERT_EQ(c.depends_on[t], c.anchor[t]);
      // the documented function of the anchor's value and the position in the segment
      int64_t start = t;
      while (start > 0 && c.role[start - 1] != SyntheticRole::End) --start;
      const int64_t p = t - start;
      const std::string a = tok->token_text(ids[c.anchor[t]]);
      EXPECT_EQ(w, synthetic_word(c.block[t], synthetic_echo_index(spec, c.block[t], std::stoll(a.substr(1)), p / 2)));
      bool other = false;  // another block's segment between the anchor and this echo
      for (int64_t u = c.anchor[t]; u < t && !other; ++u) other = c.block[u] != c.block[t];
      behind_others += other;
    }
    if (t == 0 || c.role[t - 1] == SyntheticRole::End) {
      ++segments;
      recalled += c.role[t] == SyntheticRole::Marker;
      EXPECT_EQ(c.role[t] == SyntheticRole::Marker, w == synthetic_marker(c.block[t])) << t;
    }
  }
  EXPECT_NEAR(static_cast<double>(recalled) / static_cast<double>(segments), 0.6, 0.02);
  EXPECT_GT(behind_others, 5000);
}

TEST(SyntheticRecall, ZeroRecallOpensEverySegmentWithItsAnchor) {
  for (double r : {0.0, 0.5}) {
    const auto c = generate_synthetic(recalling(3, r));
    int64_t segments = 0, opened = 0;
    for (int64_t t = 0; t < c.size(); ++t)
      if (t == 0 || c.role[t - 1] == SyntheticRole::End) ++segments, opened += c.is_anchor[t];
    if (r == 0) EXPECT_EQ(opened, segments);
    else EXPECT_LT(opened, segments * 6 / 10);
  }
  EXPECT_EQ(generate_synthetic(recalling(3, 0.5)).text.find("\n\n"), std::string::npos);
}

TEST(SyntheticRecall, OracleMatchesItsClosedFormAndTheSegmentProbability) {
  for (double r : {0.3, 0.7}) {
    const auto spec = recalling(4, r);
    const auto c = generate_synthetic(spec);
    const auto nll = synthetic_oracle_nll(c, spec);
    const double mean = std::accumulate(nll.begin(), nll.end(), 0.0) / static_cast<double>(nll.size());
    EXPECT_NEAR(mean, synthetic_optimal_nll(spec), 0.03) << "r = " << r;
  }
  // by hand, K = 2, V = 7, L = 3 always: a recall segment "a_ a3 a5 \n" of a block already set
  // costs ln 2 + ln r (block, recall) + ln 7 (filler) + 0 (echo) + 0 (<eos>, L fixed)
  auto spec = recalling(2, 0.4);
  spec.min_segment = spec.max_segment = 3;
  const auto c = generate_synthetic(spec);
  const auto nll = synthetic_oracle_nll(c, spec);
  std::vector<bool> seen(2, false);
  int64_t checked = 0;
  for (int64_t t = 0; t + 3 < c.size(); ++t) {
    if (t > 0 && c.role[t - 1] != SyntheticRole::End) continue;
    const bool set = seen[c.block[t]];
    seen[c.block[t]] = true;
    if (!set || c.is_anchor[t]) continue;
    EXPECT_NEAR(nll[t] + nll[t + 1] + nll[t + 2] + nll[t + 3], std::log(2.0) - std::log(0.4) + std::log(7.0), 1e-12);
    ++checked;
  }
  EXPECT_GT(checked, 1000);
}

TEST(SyntheticRecall, ImpossibleSettingsAreConfigErrors) {
  EXPECT_THROW(generate_synthetic(recalling(3, 1.0)), ConfigError);
  EXPECT_THROW(generate_synthetic(recalling(3, -0.1)), ConfigError);
  auto s = recalling(3, 0.5);
  s.interleave = true;
  EXPECT_THROW(generate_synthetic(s), ConfigError);
}

}  // namespace
}  // namespace localist::data
