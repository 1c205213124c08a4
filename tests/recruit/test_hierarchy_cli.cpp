// `localist hierarchy` end to end at CI size: two toy domains with disjoint alphabets, a base
// model trained on both, one specialist per domain fine-tuned from it (--init-from), saved and
// loaded as one unit; hard routing sends each held-out segment to its own domain's specialist,
// and the specialists beat the base on their domains. Bad manifests and foreign tokenizers are
// clear errors that leave nothing behind.
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "localist/recruit/hierarchy.h"

namespace localist {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::cli_tmp;
using testing::run_cli;

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

const std::string kModel =
    "--tokenizer char --n-layer 1 --n-head 2 --n-embd 16 --block-size 32 --batch-size 8 "
    "--eval-interval 100 --eval-tokens 500 --log-interval 100 --device cpu --threads 1 ";

TEST(HierarchyCli, HardRoutingFindsEachDomainsSpecialist) {
  const auto dir = cli_tmp("hier");
  fs::create_directories(dir);
  const std::string a = domain_text("abcdefg", 1, 3000), b = domain_text("qrstuvw", 2, 3000);
  write(dir + "/a.txt", a), write(dir + "/b.txt", b), write(dir + "/mix.txt", a + b);
  write(dir + "/a_test.txt", domain_text("abcdefg", 3, 400));
  write(dir + "/b_test.txt", domain_text("qrstuvw", 4, 400));
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

  // the table form, and a soft-routed copy of the manifest reads back
  r = run_cli("hierarchy eval " + dir + "/h --domain a=" + dir + "/a_test.txt --segment-tokens 24");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("| a | a |"), std::string::npos) << r.output;
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

}  // namespace
}  // namespace localist
