// `localist hierarchy` end to end at CI size: two toy domains with disjoint alphabets, a base
// model trained on both, one specialist per domain fine-tuned from it (--init-from), saved and
// loaded as one unit; hard routing sends each held-out segment to its own domain's specialist,
// and the specialists beat the base on their domains. Bad manifests and foreign tokenizers are
// clear errors that leave nothing behind.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "localist/core/progress.h"
#include "localist/hierarchy/hierarchy.h"
#include "localist/run/checkpoint.h"

namespace localist {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::cli_tmp;
using testing::run_cli;
using testing::run_torchrun2;

// A domain: words of 2-4 letters from its own alphabet, one letter pattern repeating.
std::string domain_text(const std::string& letters, uint64_t seed, int words) {
  std::mt19937_64 rng(seed);
  std::string s;
  for (int w = 0; w < words; ++w) {
    const int n = 2 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; ++i) s += letters[(w + i * 2) % letters.size()];
    s += (w % 12 == 11) ? '\n' : ' ';
  }
  return s;
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A fresh directory with two domains' training text (a.txt, b.txt), their mixture (mix.txt) and
// held-out text of each (a_test.txt, b_test.txt).
std::string two_domains(const std::string& name, int words, int test_words) {
  const auto dir = cli_tmp(name);
  fs::create_directories(dir);
  const std::string a = domain_text("abcdefg", 1, words), b = domain_text("qrstuvw", 2, words);
  write(dir + "/a.txt", a), write(dir + "/b.txt", b), write(dir + "/mix.txt", a + b);
  write(dir + "/a_test.txt", domain_text("abcdefg", 3, test_words));
  write(dir + "/b_test.txt", domain_text("qrstuvw", 4, test_words));
  return dir;
}

const std::string kModel =
    "--tokenizer char --n-layer 1 --n-head 2 --n-embd 16 --block-size 32 --batch-size 8 "
    "--eval-interval 100 --eval-tokens 500 --log-interval 100 --device cpu --threads 1 ";

TEST(HierarchyCli, HardRoutingFindsEachDomainsSpecialist) {
  const auto dir = two_domains("hier", 3000, 400);
  auto r = run_cli("train " + kModel + "--max-steps 60 --data " + dir + "/mix.txt --out " + dir + "/base");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* d : {"a", "b"}) {
    r = run_cli("train " + kModel + "--max-steps 60 --init-from " + dir + "/base --data " + dir + "/" + d +
                ".txt --out " + dir + "/spec_" + d);
    ASSERT_EQ(r.code, 0) << r.output;
  }
  r = run_cli("hierarchy create " + dir + "/h --base " + dir + "/base --member a=" + dir + "/spec_a --member b=" +
              dir + "/spec_b --prefix 4");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir + "/h/members/a/model.safetensors"));
  EXPECT_FALSE(fs::exists(dir + "/h/members/a/optimizer.safetensors"));
  const auto h = read_hierarchy(dir + "/h");
  ASSERT_EQ(h.members.size(), 3u);
  EXPECT_EQ(h.member_for_domain("b"), 2);
  EXPECT_EQ(h.member_for_domain("nobody"), 0);

  r = run_cli("hierarchy eval " + dir + "/h --domain a=" + dir + "/a_test.txt --domain b=" + dir +
              "/b_test.txt --segment-tokens 24 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = json::parse(r.output.substr(r.output.find('{')));
  for (const auto& d : j["domains"]) {
    EXPECT_GE(d["routing_accuracy"].get<double>(), 0.9) << d.dump();
    EXPECT_LT(d["ppl_oracle"].get<double>(), d["ppl_base"].get<double>()) << d.dump();
    EXPECT_LT(d["ppl_hard"].get<double>(), d["ppl_base"].get<double>()) << d.dump();
    EXPECT_LE(d["ppl_soft"].get<double>(), d["ppl_base"].get<double>() * 1.01) << d.dump();
  }
  EXPECT_GT(j["all"]["segments"].get<int64_t>(), 20);

  // the members spread over 2 processes (issue 9): base and b on rank 0, a on rank 1; each
  // segment's rest is scored where its chosen member lives, with eval's numbers to rounding
  const auto launched = run_torchrun2("hierarchy route " + dir + "/h --domain a=" + dir + "/a_test.txt --domain b=" +
                                      dir + "/b_test.txt --segment-tokens 24 --json");
  const std::string& routed_out = launched.output;
  ASSERT_EQ(launched.code, 0) << routed_out;
  const auto routed = json::parse(routed_out.substr(routed_out.find('{')));
  EXPECT_EQ(routed["placement"], json({{"base", 0}, {"a", 1}, {"b", 0}}));
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NEAR(routed["domains"][i]["ppl_hard"].get<double>(), j["domains"][i]["ppl_hard"].get<double>(), 1e-4);
    EXPECT_EQ(routed["domains"][i]["routing_accuracy"], j["domains"][i]["routing_accuracy"]);
  }
  const auto by_rank = routed["segments_scored_by_rank"];
  EXPECT_EQ(by_rank[0].get<double>() + by_rank[1].get<double>(), j["all"]["segments"].get<double>());
  EXPECT_GT(by_rank[1].get<double>(), 0);  // the a segments went to the process holding a

  // per member attention on what each routing gave it: shares add up to the segments
  r = run_cli("hierarchy eval " + dir + "/h --domain a=" + dir + "/a_test.txt --domain b=" + dir +
              "/b_test.txt --segment-tokens 24 --max-segments 10 --attention --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto att = json::parse(r.output.substr(r.output.find('{')));
  double hard = 0, soft = 0;
  for (const auto& [name, m] : att["attention"].items()) {
    hard += m["hard"]["predictions_share"].get<double>();
    soft += m["soft"]["predictions_share"].get<double>();
    if (m["hard"]["predictions_share"].get<double>() > 0) {
      const double H = m["hard"]["attention_entropy_bits"].get<double>();
      EXPECT_TRUE(H >= 0 && H < 5) << name << " " << H;  // at most log2(24) bits
    }
  }
  EXPECT_NEAR(hard, 20, 1e-9);
  EXPECT_NEAR(soft, 20, 0.05);  // members with a weight under 1e-3 on a segment are skipped
  // the table form; --own names the member that should serve a domain
  r = run_cli("hierarchy eval " + dir + "/h --domain a=" + dir + "/a_test.txt --segment-tokens 24");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("| a | a |"), std::string::npos) << r.output;
  r = run_cli("hierarchy eval " + dir + "/h --domain a=" + dir + "/a_test.txt --segment-tokens 24 --own a=b --json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_LT(json::parse(r.output.substr(r.output.find('{')))["domains"][0]["routing_accuracy"].get<double>(), 0.1);
  r = run_cli("hierarchy eval " + dir + "/h --domain a=" + dir + "/a_test.txt --own a=nobody");
  EXPECT_NE(r.code, 0);
  // a member added later is part of the unit; a name already taken is refused
  r = run_cli("hierarchy add " + dir + "/h --member a2=" + dir + "/spec_a");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(read_hierarchy(dir + "/h").members.size(), 4u);
  EXPECT_TRUE(fs::exists(dir + "/h/members/a2/model.safetensors"));
  EXPECT_NE(run_cli("hierarchy add " + dir + "/h --member a2=" + dir + "/spec_a").code, 0);
}

// Members with several blocks and different block maps (the base windows of 8, the specialists
// of 4): with the dial as a
// hard mask, hard routing leaves every prediction's evidence inside its auditing member's
// target block (mass 0, its bound); soft routing mixes in the other members' attention, which
// may sit outside it, and only the mixed bound w B + 1 - w holds.
TEST(HierarchyCli, HardRoutingKeepsEachMembersConcentration) {
  const auto dir = two_domains("hier_bounds", 2000, 300);
  const std::string dial = "--lambda 1 --kappa 10 ";
  auto r = run_cli("train " + kModel + dial + "--blocks window:8 --max-steps 40 --data " + dir + "/mix.txt --out " + dir + "/base");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* d : {"a", "b"}) {
    r = run_cli("train " + kModel + dial + "--blocks window:4 --max-steps 40 --init-from " + dir + "/base --data " + dir +
                "/" + d + ".txt --out " + dir + "/spec_" + d);
    ASSERT_EQ(r.code, 0) << r.output;
  }
  r = run_cli("hierarchy create " + dir + "/h --base " + dir + "/base --member a=" + dir + "/spec_a --member b=" +
              dir + "/spec_b --prefix 4");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string ev = "hierarchy eval " + dir + "/h --domain a=" + dir + "/a_test.txt --domain b=" + dir +
                         "/b_test.txt --segment-tokens 24 --max-segments 8 --bounds ";
  r = run_cli(ev + "--kappa inf --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = json::parse(r.output.substr(r.output.find('{')))["bounds"];
  int64_t hard_queries = 0;
  double soft_mass = 0;
  for (const auto& [name, m] : j["members"].items()) {
    EXPECT_EQ(m["uniform_margin"], "inf") << name;
    hard_queries += m["hard"]["queries"].get<int64_t>();
    if (m["hard"]["queries"].get<int64_t>() > 0) {
      EXPECT_LT(m["hard"]["off_target_mass"].get<double>(), 1e-7) << name;
      EXPECT_EQ(m["hard"]["within_bound"].get<double>(), 1.0) << name;
    }
    if (m["soft"]["queries"].get<int64_t>() > 0) {
      EXPECT_EQ(m["soft"]["within_mixed_bound"].get<double>(), 1.0) << name;
      soft_mass += m["soft"]["off_target_mass"].get<double>() * m["soft"]["queries"].get<double>();
    }
  }
  EXPECT_GT(hard_queries, 0);
  EXPECT_GT(soft_mass, 1e-4);  // the base's attention (windows of 8) leaks outside the specialists' of 4
  r = run_cli(ev);  // the table, at each member's own kappa
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("| base |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("eps <= B"), std::string::npos) << r.output;
  r = run_cli(ev + "--kappa -1");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("kappa"), std::string::npos) << r.output;
  r = run_cli(ev + "--margin-percentile 80");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("percentile"), std::string::npos) << r.output;
}

TEST(HierarchyCli, BadInputIsAClearErrorAndLeavesNothing) {
  const auto dir = cli_tmp("hier_bad");
  fs::create_directories(dir);
  write(dir + "/x.txt", domain_text("abcdefg", 1, 1500));
  write(dir + "/y.txt", domain_text("qrstuvw", 2, 1500));
  auto r = run_cli("train " + kModel + "--max-steps 5 --data " + dir + "/x.txt --out " + dir + "/x");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run_cli("train " + kModel + "--max-steps 5 --data " + dir + "/y.txt --out " + dir + "/y");
  ASSERT_EQ(r.code, 0) << r.output;
  // a specialist with its own tokenizer cannot be routed against the base
  r = run_cli("hierarchy create " + dir + "/h --base " + dir + "/x --member y=" + dir + "/y");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("does not share the base model's tokenizer"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/h"));
  r = run_cli("hierarchy create " + dir + "/h --base " + dir + "/x --member bad/name=" + dir + "/x");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("member name"), std::string::npos) << r.output;
  r = run_cli("hierarchy create " + dir + "/h --base " + dir + "/x --routing maybe");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("routing 'maybe'"), std::string::npos) << r.output;
  r = run_cli("hierarchy create " + dir + "/h --base " + dir + "/x");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run_cli("hierarchy create " + dir + "/h --base " + dir + "/x");  // exists: refused
  EXPECT_NE(r.code, 0);
  // a manifest whose member path leaves the directory, and one that is not JSON
  json m = json::parse(std::ifstream(dir + "/h/hierarchy.json"));
  m["members"][0]["path"] = "../../etc";
  std::ofstream(dir + "/h/hierarchy.json") << m.dump();
  r = run_cli("hierarchy eval " + dir + "/h --domain x=" + dir + "/x.txt");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("must stay inside the hierarchy"), std::string::npos) << r.output;
  std::ofstream(dir + "/h/hierarchy.json") << "{\"format\": ";
  r = run_cli("hierarchy eval " + dir + "/h --domain x=" + dir + "/x.txt");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("hierarchy.json"), std::string::npos) << r.output;
  r = run_cli("train " + kModel + "--max-steps 5 --init-from " + dir + "/x --resume --out " + dir + "/x");
  EXPECT_NE(r.code, 0);
}

// Rules swapped in at inference for every member of a hierarchy (no retraining): the vocab
// classes change what the dial lets each query read, so the numbers move while the weights
// stay; a broken file names its line and field.
TEST(HierarchyCli, RulesSwapAtInference) {
  const auto dir = cli_tmp("hier_rules");
  fs::create_directories(dir);
  write(dir + "/a.txt", domain_text("abcdefg", 1, 2000));
  write(dir + "/a_test.txt", domain_text("abcdefg", 3, 400));
  write(dir + "/r1.json", R"({"blocks": [{"name": "ace", "tokens": ["a", "c", "e"]}]})");
  write(dir + "/r2.json", R"({"blocks": [{"name": "bdf", "tokens": ["b", "d", "f", "g"]}]})");
  auto r = run_cli("train " + kModel + "--max-steps 40 --data " + dir + "/a.txt --out " + dir +
                   "/base --blocks vocab --lambda 1 --rules " + dir + "/r1.json");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(run_cli("hierarchy create " + dir + "/h --base " + dir + "/base --prefix 4").code, 0);
  const std::string ev = "hierarchy eval " + dir + "/h --domain a=" + dir + "/a_test.txt --segment-tokens 24 --max-segments 10 --json";
  auto ppl = [&](const std::string& extra) {
    const auto out = run_cli(ev + extra);
    EXPECT_EQ(out.code, 0) << out.output;
    if (out.code != 0) return -1.0;
    return json::parse(out.output.substr(out.output.find('{')))["domains"][0]["ppl_base"].get<double>();
  };
  const double stored = ppl(""), same = ppl(" --rules " + dir + "/r1.json"), other = ppl(" --rules " + dir + "/r2.json");
  EXPECT_NEAR(same, stored, 1e-9);  // the stored rules, read from the file again
  EXPECT_GT(std::abs(other - stored), 1e-3);
  // a specialist fine-tuned from the base keeps its blocks and rules unless told otherwise
  r = run_cli("train " + kModel + "--max-steps 5 --init-from " + dir + "/base --data " + dir + "/a.txt --out " + dir + "/spec");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto base_meta = read_checkpoint_meta(dir + "/base/checkpoint"), spec_meta = read_checkpoint_meta(dir + "/spec/checkpoint");
  EXPECT_EQ(spec_meta.localist.blocks, "vocab");
  EXPECT_EQ(spec_meta.localist.lambda, 1.0);
  EXPECT_EQ(spec_meta.localist.rules, base_meta.localist.rules);
  r = run_cli("train " + kModel + "--max-steps 5 --init-from " + dir + "/base --data " + dir + "/a.txt --out " + dir + "/spec0 --lambda 0");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(read_checkpoint_meta(dir + "/spec0/checkpoint").localist.lambda, 0.0);
  const auto before = fs::file_size(dir + "/h/members/base/model.safetensors");
  EXPECT_EQ(before, fs::file_size(dir + "/base/checkpoint/model.safetensors"));
  write(dir + "/bad.json", R"({"blocks": [{"name": 3}]})");
  r = run_cli(ev + " --rules " + dir + "/bad.json");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("blocks[0].name"), std::string::npos) << r.output;
}

// LLM-level recruitment: refused while block recruitment could still give (or never ran) and
// for a theta ratio outside [50, 200]; otherwise each cluster gets a decision in recruit.jsonl
// whose arithmetic holds, and accepted specialists join the hierarchy.
TEST(HierarchyCli, RecruitsSpecialistsByTheCriterion) {
  const auto dir = cli_tmp("hier_recruit");
  fs::create_directories(dir);
  std::string mix;
  for (int part = 0; part < 10; ++part)  // the domains alternate in long stretches
    mix += domain_text("abcdefg", 10 + part, 500) + domain_text("qrstuvw", 20 + part, 500);
  write(dir + "/mix.txt", mix);
  // the base: block recruitment at a threshold nothing passes, so it ends exhausted
  auto r = run_cli("train " + kModel + "--max-steps 40 --data " + dir + "/mix.txt --out " + dir +
                   "/base --blocks vocab --lambda 1 --recruit --recruit-start 10 --recruit-interval 10 "
                   "--recruit-finetune 3 --recruit-eval-tokens 500 --recruit-min-confused 5 "
                   "--recruit-probe-batches 1 --recruit-theta 100");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run_cli("train " + kModel + "--max-steps 5 --data " + dir + "/mix.txt --out " + dir + "/plain");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(run_cli("hierarchy create " + dir + "/h --base " + dir + "/base --prefix 4").code, 0);
  ASSERT_EQ(run_cli("hierarchy create " + dir + "/hp --base " + dir + "/plain").code, 0);
  const std::string rec = " --data " + dir + "/mix.txt --clusters 2 --chunk-chars 400 --segment-tokens 24 "
                          "--max-eval-segments 30 --max-steps 40 --batch-size 8 --eval-interval 40 "
                          "--eval-tokens 500 --device cpu --threads 1 --theta-block 0.000001 --theta-llm 0.0001";
  r = run_cli("hierarchy recruit " + dir + "/hp" + rec);  // the plain base never recruited blocks
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("block recruitment has nothing left to give"), std::string::npos) << r.output;
  r = run_cli("hierarchy recruit " + dir + "/h --data " + dir + "/mix.txt --theta-llm 1 --theta-block 0.001");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("outside [50, 200]"), std::string::npos) << r.output;

  r = run_cli("hierarchy recruit " + dir + "/h" + rec);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto log = MetricsLog(dir + "/h/recruit.jsonl").read_until(1 << 30);
  ASSERT_EQ(log.size(), 2u);
  int accepted = 0;
  for (const auto& d : log) {
    EXPECT_EQ(d["type"], "specialist");
    EXPECT_TRUE(d["block_recruitment"]["exhausted"].get<bool>());
    EXPECT_NEAR(d["theta_ratio"].get<double>(), 100, 1e-9);
    ASSERT_TRUE(d["decision"] == "accept" || d["decision"] == "reject") << d.dump();
    const auto& t = d["terms"];
    const double N = t["train_tokens_N"].get<double>(), k = t["params_added_k"].get<double>();
    EXPECT_NEAR(t["delta_L_model"].get<double>(), 0.5 * k * std::log(N) / N, 1e-12);
    EXPECT_NEAR(t["delta_L_total"].get<double>(), t["delta_L_model"].get<double>() + t["delta_L_data"].get<double>(), 1e-12);
    EXPECT_EQ(d["decision"] == "accept", t["delta_L_total"].get<double>() < -t["theta"].get<double>());
    // a specialist fine-tuned on its own domain lowers that domain's NLL below the base's
    EXPECT_LT(t["cluster_L_data_with"].get<double>(), d["domain_entropy_nats"].get<double>()) << d.dump();
    accepted += d["decision"] == "accept";
  }
  EXPECT_EQ(read_hierarchy(dir + "/h").members.size(), 1u + accepted);
}

}  // namespace
}  // namespace localist
