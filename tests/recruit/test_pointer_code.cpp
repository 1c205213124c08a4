// The pointer's code (recruit/pointer_code.h): by hand, on a layout, at chance, and the
// permutations that give it its null.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "localist/recruit/pointer_code.h"

namespace localist {
namespace {

using json = nlohmann::json;

// Two queries seeing 4 pool keys, 2 of them readable, all their mass on the pool; one reads only
// the readable keys, one half of its mass. eta = mean off-target fraction = 0.25.
TEST(PointerCode, ByHand) {
  const auto one = torch::ones({2, 1});
  ReadMass rm{one, torch::tensor({1.0f, 0.5f}).view({2, 1}), torch::tensor({2.0f, 2.0f}), torch::tensor({4.0f, 4.0f})};
  double eta = 0;
  const auto s = pointer_code(rm, &eta);
  EXPECT_NEAR(eta, 0.25, 1e-7);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_NEAR(s[0], std::log(0.75 * 4 / 2), 1e-6);                                // ln 1.5
  EXPECT_NEAR(s[1], 0.5 * std::log(0.75 * 4 / 2) + 0.5 * std::log(0.25 * 4 / 2), 1e-6);  // ... + 0.5 ln 0.5
  // a head that puts only 0.4 of its mass on the pool names only that much: s scales with w
  ReadMass part{torch::full({2, 1}, 0.4f), rm.m, rm.r, rm.n};
  const auto sp = pointer_code(part, &eta);
  EXPECT_NEAR(eta, 0.25, 1e-7);
  EXPECT_NEAR(sp[0], 0.4 * s[0], 1e-6);
  // a query that may read every pool key it sees has nothing to name
  ReadMass all{torch::ones({1, 1}), torch::tensor({1.0f}).view({1, 1}), torch::tensor({3.0f}), torch::tensor({3.0f})};
  EXPECT_EQ(pointer_code(all)[0], 0.0f);
}

// Attention spread evenly reads each readable set at chance: s_t = -KL(r/n || 1 - eta) <= 0.
TEST(PointerCode, ChanceReadingSavesNothing) {
  const int64_t Q = 200;
  auto n = torch::arange(1, Q + 1, torch::kFloat);
  auto r = torch::ceil(n * torch::rand({Q}, torch::TensorOptions().dtype(torch::kFloat)));
  auto m = (r / n).view({Q, 1}).expand({Q, 3}).contiguous();  // 3 heads, all uniform
  for (float v : pointer_code({torch::rand({Q, 3}), m, r, n})) EXPECT_LE(v, 1e-6f);
}

// On a vocab layout (token 0 -> block 0, token 1 -> block 1, token 2 shared: in no new block;
// each block reads itself): uniform attention over [0 1 2 0 1].
TEST(PointerCode, ReadMassOfAVocabLayout) {
  const auto blocks = BlockMap::vocab({{0, 0}, {1, 1}, {2, 0}}, 2);
  const auto x = torch::tensor({0, 1, 2, 0, 1}, torch::kInt64).view({1, 5});
  const auto pool = (x != 2);  // the shared token is outside the pool: named the same either way
  auto p = torch::ones({5, 5}).tril();
  p = (p / p.sum(-1, true)).view({1, 1, 5, 5});  // (B, H, T, T)
  const auto rm = read_mass({p}, blocks.layout(x), pool, true);
  ASSERT_EQ(rm.m.sizes(), (torch::IntArrayRef{5, 1}));
  EXPECT_EQ(rm.n[4].item<float>(), 4.0f);  // query 4 sees pool keys 0, 1, 3, 4
  EXPECT_EQ(rm.r[4].item<float>(), 2.0f);  // ... and reads keys 1 and 4 (block 1)
  EXPECT_NEAR(rm.w[4][0].item<float>(), 0.8f, 1e-6);  // 4 of its 5 keys are pool keys
  EXPECT_NEAR(rm.m[4][0].item<float>(), 0.5f, 1e-6);
  EXPECT_EQ(rm.r[2].item<float>(), rm.n[2].item<float>());  // the shared query names nothing
  // attention that reads only its own block: the partition names it, one block names nothing
  auto own = torch::zeros({1, 1, 5, 5});
  own[0][0][0][0] = 1, own[0][0][1][1] = 1, own[0][0][2][2] = 1, own[0][0][3][0] = 0.5, own[0][0][3][3] = 0.5;
  own[0][0][4][1] = 0.5, own[0][0][4][4] = 0.5;
  double s_true = 0, s_one = 0;
  for (float v : pointer_code(read_mass({own}, blocks.layout(x), pool, true))) s_true += v;
  const auto one = BlockMap::vocab({{0, 0}, {1, 0}, {2, 0}}, 2);
  for (float v : pointer_code(read_mass({own}, one.layout(x), pool, true))) s_one += v;
  EXPECT_GT(s_true, 0.5);
  EXPECT_NEAR(s_one, 0.0, 1e-6);  // one block: every key readable, nothing named
}

json two_blocks() {
  return {{"blocks", {{{"name", "A"}, {"tokens", {"a1", "a2", "a3", "a4"}}, {"anchors", {"a1"}}},
                      {{"name", "B"}, {"tokens", {"b1", "b2", "b3", "b4", "b5", "b6"}}},
                      {{"name", "C"}, {"tokens", {"c1"}}}}},
          {"targets", {{"other", "*"}}}};
}

std::set<std::string> tokens_of(const json& doc, size_t i) {
  std::set<std::string> out;
  for (const auto& t : doc["blocks"][i]["tokens"]) out.insert(t.get<std::string>());
  return out;
}

// Permutations keep every block's size and the pool, leave other blocks and settings alone, drop
// the permuted blocks' anchors, and differ between seeds.
TEST(PointerCode, PermutedRulesKeepSizesAndPool) {
  std::unordered_map<std::string, int64_t> count;
  for (const char* t : {"a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4", "b5", "b6"}) count[t] = 10;
  std::set<std::set<std::string>> seen;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const auto p = permuted_rules(two_blocks(), {"A", "B"}, {}, count, 16, seed);
    const auto a = tokens_of(p, 0), b = tokens_of(p, 1);
    EXPECT_EQ(a.size(), 4u);
    EXPECT_EQ(b.size(), 6u);
    std::set<std::string> both = a;
    both.insert(b.begin(), b.end());
    EXPECT_EQ(both.size(), 10u);
    EXPECT_EQ(tokens_of(p, 2), std::set<std::string>{"c1"});
    EXPECT_FALSE(p["blocks"][0].contains("anchors"));
    EXPECT_EQ(p["targets"], two_blocks()["targets"]);
    seen.insert(a);
  }
  EXPECT_GT(seen.size(), 1u);
  // a one-block split of "other": the types that stay take part and are left unlisted
  const auto p = permuted_rules(two_blocks(), {"C"}, {"x", "y", "z"}, count, 8, 3);
  EXPECT_EQ(tokens_of(p, 2).size(), 1u);
  // strata: a type trades places only with types of about its frequency
  count["a1"] = 1000, count["b1"] = 900;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const auto q = permuted_rules(two_blocks(), {"A", "B"}, {}, count, 2, seed);
    const auto a = tokens_of(q, 0);
    EXPECT_EQ(a.count("a1") + a.count("b1"), 1u);  // the two most frequent share a stratum of 2
  }
}

}  // namespace
}  // namespace localist
