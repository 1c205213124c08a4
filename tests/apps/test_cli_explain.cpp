// `localist explain` and `localist generate --lambda` from the command line: the JSON audit view
// under a hard mask, the table, windows for long texts, the dial in generation, and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace {

using localist::testing::run_cli;

std::string explain_tmp(const std::string& name) { return localist::testing::cli_tmp("explain_" + name); }

// A 1-layer, 2-head model trained briefly with the dial off (blocks = segment), context 16.
std::string trained_run(const std::string& name) {
  const auto dir = explain_tmp(name);
  auto t = run_cli("train --n-layer 1 --n-head 2 --n-embd 16 --block-size 16 --batch-size 4 --max-steps 20 "
               "--eval-interval 20 --eval-tokens 100 --synth-tokens 3000 --device cpu --out " + dir);
  EXPECT_EQ(t.code, 0) << t.output;
  return dir;
}

// Four lines of the synthetic corpus's shape: 26 word tokens, longer than the context (16).
std::string text_file() {
  const auto f = explain_tmp("text.txt");
  std::ofstream(f) << "B7 b2 b1 b9 b4 b5\nC5 c3 c11 c0 c7 c2 c9\nA2 a3 a4 a8 a0\nD1 d6 d3 d10\n";
  return f;
}

nlohmann::json explain_json(const std::string& dir, const std::string& flags) {
  auto r = run_cli("explain " + dir + " --file " + text_file() + " --json --device cpu " + flags);
  EXPECT_EQ(r.code, 0) << r.output;
  return nlohmann::json::parse(r.output);
}

TEST(CliExplain, HardMaskPutsEveryQueryOnItsTargetBlock) {
  const auto dir = trained_run("hard");
  auto j = explain_json(dir, "--lambda 1 --kappa inf");
  EXPECT_EQ(j["tokens"].get<int64_t>(), 26);
  EXPECT_EQ(j["windows"].get<int64_t>(), 2);  // 26 tokens in contexts of 16
  EXPECT_NE(j["note"].get<std::string>().find("2 consecutive windows"), std::string::npos);
  ASSERT_EQ(j["per_token"].size(), 26u);
  int64_t measured = 0;
  for (const auto& t : j["per_token"]) {
    ASSERT_EQ(t["heads"].size(), 2u);  // 1 layer x 2 heads
    for (const auto& h : t["heads"]) {
      ASSERT_FALSE(h["target_mass"].is_null());
      EXPECT_NEAR(h["target_mass"].get<double>(), 1.0, 1e-6) << t.dump();
      ++measured;
    }
    EXPECT_NEAR(t["mean"]["target_mass"].get<double>(), 1.0, 1e-6);
    const double p = t["predicted"]["probability"].get<double>();
    EXPECT_GT(p, 0.0);
    EXPECT_LE(p, 1.0);
  }
  EXPECT_EQ(measured, 52);
  EXPECT_NEAR(j["summary"]["block_fidelity"].get<double>(), 1.0, 1e-6);
  // positions are the text's: the second window starts at 16 and reads from there
  EXPECT_EQ(j["per_token"][16]["position"].get<int64_t>(), 16);
  EXPECT_EQ(j["per_token"][16]["window"].get<int64_t>(), 1);
  EXPECT_EQ(j["per_token"][16]["mean"]["top_anchor"]["position"].get<int64_t>(), 16);
  EXPECT_EQ(j["per_token"][7]["text"].get<std::string>(), "C5");
  EXPECT_TRUE(j["per_token"][25]["next"].is_null());  // the text ends there
  EXPECT_EQ(j["per_token"][0]["next"]["text"].get<std::string>(), "b2");

  // With the dial off the same model spreads attention across lines.
  auto off = explain_json(dir, "--lambda 0");
  double max_gap = 0;
  for (const auto& t : off["per_token"])
    for (const auto& h : t["heads"]) max_gap = std::max(max_gap, 1.0 - h["target_mass"].get<double>());
  EXPECT_GT(max_gap, 1e-3);
  EXPECT_LT(off["summary"]["block_fidelity"].get<double>(), 1.0 - 1e-6);
}

TEST(CliExplain, TableShowsTheMeanAndThePickedHead) {
  const auto dir = trained_run("table");
  auto all = run_cli("explain " + dir + " --text 'C5 c3 c11' --device cpu");
  ASSERT_EQ(all.code, 0) << all.output;
  for (const char* s : {"block fidelity", "all", "L0H0", "L0H1", "C5", "c11"})
    EXPECT_NE(all.output.find(s), std::string::npos) << s << "\n" << all.output;
  auto one = run_cli("explain " + dir + " --text 'C5 c3 c11' --device cpu --layer 0 --head 1");
  ASSERT_EQ(one.code, 0) << one.output;
  EXPECT_NE(one.output.find("L0H1"), std::string::npos) << one.output;
  EXPECT_EQ(one.output.find("L0H0"), std::string::npos) << one.output;
  auto summary = run_cli("explain " + dir + " --text 'C5 c3 c11' --device cpu --summary");
  ASSERT_EQ(summary.code, 0) << summary.output;
  EXPECT_EQ(summary.output.find("L0H0"), std::string::npos) << summary.output;
  auto one_json = run_cli("explain " + dir + " --text 'C5 c3 c11' --device cpu --head 1 --json");
  ASSERT_EQ(one_json.code, 0) << one_json.output;
  auto j = nlohmann::json::parse(one_json.output);
  EXPECT_EQ(j["per_token"][0]["heads"].size(), 1u);
  EXPECT_EQ(j["per_token"][0]["heads"][0]["head"].get<int64_t>(), 1);
}

void expect_explain_error(const std::string& args, const std::string& names) {
  auto r = run_cli(args);
  EXPECT_NE(r.code, 0) << args << "\n" << r.output;
  EXPECT_NE(r.output.find(names), std::string::npos) << args << "\n" << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << args << "\n" << r.output;
}

TEST(CliExplain, BadInputIsAOneLineError) {
  expect_explain_error("explain /no/such/run --text 'C5 c3'", "/no/such/run");
  expect_explain_error("explain /no/such/run --text ''", "text is empty");
  expect_explain_error("explain /no/such/run", "--text");
  expect_explain_error("explain /no/such/run --file /no/such/text.txt", "/no/such/text.txt");
  const auto dir = trained_run("errors");
  expect_explain_error("explain " + dir + " --text 'C5 c3' --layer 1", "--layer 1 is outside 0..0");
  expect_explain_error("explain " + dir + " --text 'C5 c3' --head 2", "--head 2 is outside 0..1");
  expect_explain_error("explain " + dir + " --text 'C5 c3' --head -1", "--head -1");
  expect_explain_error("explain " + dir + " --text 'C5 c3' --lambda 2", "lambda = 2");
}

TEST(CliGenerate, TheDialMovesAtInference) {
  const auto dir = trained_run("generate");
  const std::string base = "generate " + dir + " --prompt 'C5 c3' -n 24 --seed 7 --device cpu";
  auto plain = run_cli(base);
  ASSERT_EQ(plain.code, 0) << plain.output;
  auto off = run_cli(base + " --lambda 0");
  ASSERT_EQ(off.code, 0) << off.output;
  EXPECT_EQ(plain.output, off.output);  // trained at lambda 0: --lambda 0 is plain generation
  auto hard = run_cli(base + " --lambda 1 --kappa inf --blocks window:4");
  ASSERT_EQ(hard.code, 0) << hard.output;
  EXPECT_GT(hard.output.size(), 4u);
  auto bad = run_cli(base + " --lambda 1.5");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("lambda = 1.5"), std::string::npos) << bad.output;
}

}  // namespace
