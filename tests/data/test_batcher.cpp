// Batches: random windows are a pure function of (seed, step, micro) (so resumed runs see the
// same data), targets are inputs shifted by one, every start position is reachable, and the
// sequential evaluation pass predicts every token exactly once.
#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "localist/core/errors.h"
#include "localist/data/batcher.h"

namespace localist::data {
namespace {

// tokens[i] = i, so every window shows where it came from.
TokenFile iota_tokens(int64_t n) {
  std::vector<int32_t> t(n);
  std::iota(t.begin(), t.end(), 0);
  return TokenFile::from_tokens(std::move(t), n);
}

TEST(Batch, RandomIsAFunctionOfSeedStepAndMicro) {
  const TokenFile tokens = iota_tokens(5000);
  const auto a = random_batch(tokens, 8, 16, 42, 7, 0);
  const auto b = random_batch(tokens, 8, 16, 42, 7, 0);
  EXPECT_TRUE(torch::equal(a.x, b.x));
  EXPECT_TRUE(torch::equal(a.y, b.y));
  EXPECT_FALSE(torch::equal(a.x, random_batch(tokens, 8, 16, 42, 8, 0).x));
  EXPECT_FALSE(torch::equal(a.x, random_batch(tokens, 8, 16, 42, 7, 1).x));
  EXPECT_FALSE(torch::equal(a.x, random_batch(tokens, 8, 16, 43, 7, 0).x));
  // Drawing other batches in between changes nothing: no hidden state.
  random_batch(tokens, 8, 16, 1, 1, 1);
  EXPECT_TRUE(torch::equal(a.x, random_batch(tokens, 8, 16, 42, 7, 0).x));
}

TEST(Batch, TargetsAreInputsShiftedByOne) {
  const TokenFile tokens = iota_tokens(1000);
  const auto b = random_batch(tokens, 4, 32, 1, 0, 0);
  EXPECT_EQ(b.x.sizes(), (std::vector<int64_t>{4, 32}));
  EXPECT_EQ(b.x.scalar_type(), torch::kLong);
  EXPECT_EQ(b.y.scalar_type(), torch::kLong);
  EXPECT_TRUE(b.x.device().is_cpu());
  EXPECT_TRUE(torch::equal(b.y, b.x + 1));
  // Contiguous windows: each row counts up by one.
  EXPECT_TRUE(torch::equal(b.x.slice(1, 1) - b.x.slice(1, 0, 31), torch::ones({4, 31}, torch::kLong)));
}

TEST(Batch, EveryStartIsReachableAndNoneOverruns) {
  const int64_t T = 8;
  const TokenFile tokens = iota_tokens(T + 4);  // 4 possible windows: starts 0..3
  std::set<int64_t> starts;
  for (int64_t step = 0; step < 200; ++step) {
    const auto b = random_batch(tokens, 2, T, 9, step, 0);
    for (int64_t r = 0; r < 2; ++r) starts.insert(b.x[r][0].item<int64_t>());
    ASSERT_LE(b.y.max().item<int64_t>(), T + 3);
  }
  EXPECT_EQ(starts, (std::set<int64_t>{0, 1, 2, 3}));
}

TEST(Batch, TooLittleDataIsDataErrorSuggestingASmallerBlockSize) {
  const TokenFile tokens = iota_tokens(16);
  EXPECT_NO_THROW(random_batch(tokens, 1, 15, 0, 0, 0));
  try {
    random_batch(tokens, 1, 16, 0, 0, 0);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("use a smaller context_length"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("16"), std::string::npos) << e.what();
  }
  EXPECT_THROW(sequential_batches(iota_tokens(1), 1, 4), DataError);
  EXPECT_THROW(random_batch(tokens, 0, 4, 0, 0, 0), ConfigError);
}

// Flattens the scored targets of a sequential pass, checking x/y agree where scored and
// padding is (x = 0, y = -1) elsewhere.
std::vector<int64_t> scored_targets(const std::vector<Batch>& batches, int64_t batch_size,
                                    int64_t T) {
  std::vector<int64_t> out;
  for (const auto& b : batches) {
    EXPECT_LE(b.x.size(0), batch_size);
    EXPECT_EQ(b.x.size(1), T);
    for (int64_t r = 0; r < b.x.size(0); ++r)
      for (int64_t t = 0; t < T; ++t) {
        const int64_t x = b.x[r][t].item<int64_t>(), y = b.y[r][t].item<int64_t>();
        if (y == kIgnoreIndex) {
          EXPECT_EQ(x, 0);
        } else {
          EXPECT_EQ(y, x + 1);  // iota data: the target is the next token
          out.push_back(y);
        }
      }
  }
  return out;
}

TEST(Batch, SequentialPassPredictsEveryTokenExactlyOnce) {
  for (int64_t n : {2, 9, 17, 103}) {
    const TokenFile tokens = iota_tokens(n);
    const auto batches = sequential_batches(tokens, 3, 8);
    std::vector<int64_t> expected(n - 1);
    std::iota(expected.begin(), expected.end(), 1);
    EXPECT_EQ(scored_targets(batches, 3, 8), expected) << "n = " << n;
    EXPECT_EQ(static_cast<int64_t>(batches.size()), ((n - 1 + 7) / 8 + 2) / 3) << "n = " << n;
  }
}

TEST(Batch, SequentialMaxTokensKeepsTheFirstPredictions) {
  const TokenFile tokens = iota_tokens(100);
  std::vector<int64_t> expected(20);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(scored_targets(sequential_batches(tokens, 2, 8, 20), 2, 8), expected);
  // A cap beyond the data is the full pass.
  EXPECT_EQ(scored_targets(sequential_batches(tokens, 2, 8, 1000), 2, 8).size(), 99u);
}

}  // namespace
}  // namespace localist::data
