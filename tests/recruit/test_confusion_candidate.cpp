// The two first steps of a recruitment decision as units: confused queries (recruit/confusion.h)
// on a model whose attention is uniform, where every entropy is known (ln(t+1) at position t);
// and the candidate (recruit/candidate.h) on a corpus whose two word families keep different
// company, where the right split is known.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>

#include "localist/recruit/candidate.h"
#include "localist/recruit/confusion.h"

namespace localist {
namespace {

constexpr int64_t kContext = 8;

Gpt uniform_attention_model(int64_t vocab) {
  torch::manual_seed(2);
  ModelConfig c;
  c.vocab_size = vocab, c.n_layer = 2, c.n_head = 2, c.n_embd = 8, c.context_length = kContext;
  Gpt m(c);
  torch::NoGradGuard no_grad;
  for (auto& p : m->named_parameters())
    if (p.key().find("c_attn") != std::string::npos) p.value().zero_();  // scores all 0
  return m;
}

// One block ("other") holds every token: its one anchor is position 0, so query t is confused
// iff ln(t + 1) > ln 1 + epsilon.
TEST(Confusion, UniformAttentionIsConfusedExactlyPastTheHandThreshold) {
  std::vector<int32_t> ids;
  for (int i = 0; i < 400; ++i) ids.push_back(i % 5);
  const auto train = data::TokenFile::from_tokens(ids, 5);
  auto model = uniform_attention_model(5);
  const auto blocks = BlockMap::vocab({}, 1);
  const int64_t batch = 3, batches = 2;
  const auto c = find_confused(model, blocks, 1, Dial{}, train, batch, batches, 7, std::log(4.5));
  ASSERT_EQ(c.queries, batch * batches * kContext);
  EXPECT_EQ(c.confused, batch * batches * 4);  // t = 4..7: ln 5 .. ln 8 > ln 4.5
  double mean = 0;
  for (int t = 1; t <= kContext; ++t) mean += std::log(static_cast<double>(t)) / kContext;
  EXPECT_NEAR(c.mean_entropy_nats, mean, 1e-5);
  ASSERT_EQ(c.confused_in_block.size(), 1u);
  EXPECT_EQ(c.confused_in_block[0], c.confused);
  int64_t by_type = 0;
  for (const auto& [tok, n] : c.confused_type) by_type += n;
  EXPECT_EQ(by_type, c.confused);
  EXPECT_TRUE(model->is_training());  // restored
  const auto none = find_confused(model, blocks, 1, Dial{}, train, batch, batches, 7, std::log(9.0));
  EXPECT_EQ(none.confused, 0);
}

// Lines of a-words and lines of b-words: each family's company is itself.
struct TwoFamilies {
  std::unique_ptr<data::Tokenizer> tok;
  data::TokenFile train;
  std::set<int64_t> a, b;
};

// `after`: what follows every word ("the" makes a token that keeps both families' company).
TwoFamilies two_families(uint32_t state = 12345, const std::string& after = " ") {
  std::ostringstream text;  // words drawn at random within the family: a family's types look alike
  for (int line = 0; line < 80; ++line) {
    const char family = line % 2 ? 'b' : 'a';
    for (int w = 0; w < 8; ++w) {
      state = state * 1664525u + 1013904223u;
      text << family << (state >> 16) % 4 << after;
    }
    text << '\n';
  }
  auto tok = data::train_tokenizer("word", text.str(), 0);
  const auto ids = tok->encode(text.str());
  auto train = data::TokenFile::from_tokens(ids, tok->vocab_size());
  TwoFamilies f{std::move(tok), std::move(train), {}, {}};
  for (int i = 0; i < 4; ++i) {
    f.a.insert(f.tok->encode("a" + std::to_string(i))[0]);
    f.b.insert(f.tok->encode("b" + std::to_string(i))[0]);
  }
  return f;
}

// The rules a recruiting run starts from: one block, "other".
nlohmann::json one_block_rules() { return {{"blocks", nlohmann::json::array()}}; }

Confusion all_confused(const TwoFamilies& f) {
  Confusion c;
  c.confused_in_block = {400};
  for (const auto& fam : {f.a, f.b})
    for (int64_t t : fam) {
      c.confused_type[t] = 50;
      c.type_block[t] = 0;
    }
  c.confused = 400;
  return c;
}

TEST(Candidate, SplitsOffOneWordFamilyWhole) {
  const auto f = two_families();
  RecruitConfig rc;
  rc.targets = "own";  // one new block; "other" keeps the rest
  const auto cand = propose_candidate(all_confused(f), one_block_rules(), *f.tok, f.train, kContext, rc, {});
  ASSERT_TRUE(cand);
  EXPECT_EQ(cand->parent, 0);
  const std::set<int64_t> moved(cand->tokens.begin(), cand->tokens.end());
  EXPECT_TRUE(moved == f.a || moved == f.b) << cand->rules.dump();
  EXPECT_GT(cand->split_quality, 0.5);
  // the new rules list the family as a block of its own
  const auto blocks = rules_blocks(cand->rules);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[1].first, cand->name);
  EXPECT_EQ(blocks[1].second.size(), 4u);
  // once decided, the same split waits
  EXPECT_FALSE(propose_candidate(all_confused(f), one_block_rules(), *f.tok, f.train, kContext, rc, {cand->key()}) &&
               propose_candidate(all_confused(f), one_block_rules(), *f.tok, f.train, kContext, rc, {cand->key()})->key() == cand->key());
}

// Shared targets: a split of "other" makes both families blocks and leaves in "other" only the
// types that keep both families' company (here "the", between every two words of either).
TEST(Candidate, SharedTargetsTakeBothSidesOutOfOtherAndLeaveTheSharedTokens) {
  const auto f = two_families(99, " the ");
  const auto& tok = f.tok;
  const auto& train = f.train;
  const auto& a = f.a;
  const auto& b = f.b;
  const int64_t the = tok->encode("the")[0];
  Confusion c;
  c.confused_in_block = {400};
  for (int64_t t : a) c.confused_type[t] = 50, c.type_block[t] = 0;
  for (int64_t t : b) c.confused_type[t] = 50, c.type_block[t] = 0;
  c.confused_type[the] = 50, c.type_block[the] = 0;
  c.confused = 400;
  for (const std::string split : {"communities", "two"}) {  // all at once, and the binary split
    RecruitConfig rc;  // targets "context", the default
    rc.split = split;
    const auto cand = propose_candidate(c, one_block_rules(), *tok, train, kContext, rc, {});
    ASSERT_TRUE(cand) << split;
    ASSERT_EQ(cand->more.size(), 1u) << split;
    const std::set<int64_t> first(cand->tokens.begin(), cand->tokens.end()),
        second(cand->more[0].tokens.begin(), cand->more[0].tokens.end());
    EXPECT_TRUE((first == a && second == b) || (first == b && second == a)) << split << cand->rules.dump();
    EXPECT_EQ(std::count(cand->stay.begin(), cand->stay.end(), the), 1) << split;  // shared: stays in "other"
    const auto blocks = rules_blocks(cand->rules);
    ASSERT_EQ(blocks.size(), 3u);
    EXPECT_EQ(blocks[2].first, cand->more[0].name);
    EXPECT_EQ(cand->rules["targets"]["other"], "*");
    EXPECT_EQ(cand->rules["shared"], "other");
    EXPECT_EQ(cand->block_sizes(), (std::vector<int64_t>{4, 4}));
  }
}

TEST(Candidate, TooFewConfusedQueriesProposeNothing) {
  const auto f = two_families();
  RecruitConfig rc;
  auto c = all_confused(f);
  c.confused_in_block = {rc.min_confused - 1};
  EXPECT_FALSE(propose_candidate(c, one_block_rules(), *f.tok, f.train, kContext, rc, {}));
}

}  // namespace
}  // namespace localist
