// evaluate(), the headline perplexity and accuracy, against a hand computation: every token after
// the first predicted once, from the tokens before it in its window of context_length, one window
// at a time with no batching or padding; and a model with zero logits, whose NLL is ln V exactly.
#include <gtest/gtest.h>

#include <cmath>

#include "localist/metrics/perplexity.h"

namespace localist {
namespace {

constexpr int64_t kVocab = 13, kContext = 8;

data::TokenFile corpus(int64_t n) {
  std::vector<int32_t> t;
  for (int64_t i = 0; i < n; ++i) t.push_back(static_cast<int32_t>((i * 7 + i / 3) % kVocab));
  return data::TokenFile::from_tokens(t, kVocab);
}

Gpt tiny_model() {
  torch::manual_seed(5);
  ModelConfig c;
  c.vocab_size = kVocab, c.n_layer = 2, c.n_head = 2, c.n_embd = 16, c.context_length = kContext;
  Gpt m(c);
  m->eval();
  return m;
}

struct Hand {
  double nll_sum = 0;
  int64_t correct = 0, count = 0;
  std::vector<double> nll;  // by the predicted token's position
};

// Windows [s, s + T) for s = 0, T, 2T, ...: predictions of tokens s+1 .. s+T, each window run alone.
Hand by_hand(Gpt& model, const std::vector<int32_t>& tokens) {
  torch::NoGradGuard no_grad;
  Hand h;
  const int64_t n = static_cast<int64_t>(tokens.size());
  h.nll.assign(n, 0);
  for (int64_t s = 0; s + 1 < n; s += kContext) {
    const int64_t len = std::min(kContext, n - 1 - s);
    auto x = torch::tensor(std::vector<int64_t>(tokens.begin() + s, tokens.begin() + s + len)).unsqueeze(0);
    auto logp = torch::log_softmax(model->forward(x).logits[0].to(torch::kDouble), -1);
    for (int64_t i = 0; i < len; ++i) {
      const int64_t target = tokens[s + i + 1];
      const double nll = -logp[i][target].item<double>();
      h.nll[s + i + 1] = nll;
      h.nll_sum += nll;
      h.correct += logp[i].argmax().item<int64_t>() == target;
      ++h.count;
    }
  }
  return h;
}

TEST(Evaluate, EqualsAHandComputationWindowByWindow) {
  for (int64_t n : {2, 9, 17, 30}) {  // one prediction; one full window; padding in the last
    auto tokens = corpus(n);
    auto model = tiny_model();
    std::vector<int32_t> ids(tokens.data(), tokens.data() + n);
    const auto hand = by_hand(model, ids);
    TokenScores per_token;
    const auto r = evaluate(model, tokens, /*batch_size=*/3, torch::kCPU, 0, &per_token);
    ASSERT_EQ(r.tokens, n - 1) << n;
    EXPECT_NEAR(r.nll, hand.nll_sum / hand.count, 1e-5) << n;
    EXPECT_NEAR(r.perplexity, std::exp(hand.nll_sum / hand.count), 1e-4) << n;
    EXPECT_DOUBLE_EQ(r.accuracy, static_cast<double>(hand.correct) / hand.count) << n;
    for (int64_t t = 1; t < n; ++t) EXPECT_NEAR(per_token.nll[t], hand.nll[t], 1e-4) << n << " position " << t;
  }
}

TEST(Evaluate, ZeroLogitsScoreLnVAndTheFirstTokenWins) {
  auto tokens = corpus(40);
  auto model = tiny_model();
  {
    torch::NoGradGuard no_grad;
    model->wte->weight.zero_();  // lm_head is tied to wte: every logit is 0
    if (model->lm_head) model->lm_head->weight.zero_();
  }
  const auto r = evaluate(model, tokens, 4, torch::kCPU);
  EXPECT_NEAR(r.nll, std::log(static_cast<double>(kVocab)), 1e-6);
  EXPECT_NEAR(r.perplexity, static_cast<double>(kVocab), 1e-4);
  int64_t zeros = 0;  // argmax of equal logits is token 0
  for (int64_t i = 1; i < 40; ++i) zeros += tokens.data()[i] == 0;
  EXPECT_DOUBLE_EQ(r.accuracy, static_cast<double>(zeros) / 39);
}

TEST(Evaluate, MaxTokensCountsPredictionsFromTheStart) {
  auto tokens = corpus(30);
  auto model = tiny_model();
  std::vector<int32_t> ids(tokens.data(), tokens.data() + 30);
  const auto hand = by_hand(model, ids);
  const auto r = evaluate(model, tokens, 2, torch::kCPU, /*max_tokens=*/kContext);
  ASSERT_EQ(r.tokens, kContext);
  double first_window = 0;
  for (int64_t t = 1; t <= kContext; ++t) first_window += hand.nll[t];
  EXPECT_NEAR(r.nll, first_window / kContext, 1e-5);
}

}  // namespace
}  // namespace localist
