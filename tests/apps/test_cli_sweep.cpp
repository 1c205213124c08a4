// `localist sweep` end to end: both protocols on tiny runs, the table printed and written, a
// rerun that recomputes nothing, and settings that do not match the sweep directory refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace localist {
namespace {

using testing::cli_tmp;
using testing::run_cli;

const std::string kSweepTiny =
    "--n-layer 1 --n-head 2 --n-embd 16 --block-size 32 --batch-size 4 --max-steps 30 "
    "--eval-interval 30 --eval-tokens 200 --log-interval 30 --synth-tokens 3000 --device cpu ";

int count_lines(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string l; std::getline(in, l);) ++n;
  return n;
}

TEST(CliSweep, InferenceProtocolPrintsAndWritesTheTableAndResumes) {
  const auto run = cli_tmp("sweep_run");
  auto t = run_cli("train " + kSweepTiny + "--out " + run);
  ASSERT_EQ(t.code, 0) << t.output;
  const auto dir = cli_tmp("sweep_inf");
  const std::string sweep = "sweep --protocol inference --checkpoint " + run + " --out " + dir +
                            " --max-tokens 300 --device cpu";
  auto s = run_cli(sweep + " --lambdas 1:0:0.5");
  ASSERT_EQ(s.code, 0) << s.output;
  EXPECT_NE(s.output.find("run 3/3 lambda 0.0"), std::string::npos) << s.output;
  EXPECT_NE(s.output.find("| λ | entropy (bits)"), std::string::npos) << s.output;
  EXPECT_NE(s.output.find("| 0.5 |"), std::string::npos) << s.output;
  EXPECT_EQ(count_lines(dir + "/sweep.csv"), 4);
  // the same command again: every row from rows.jsonl
  auto again = run_cli(sweep + " --lambdas 1:0:0.5 --json");
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("done earlier"), std::string::npos) << again.output;
  const auto j = nlohmann::json::parse(again.output.substr(again.output.find("{\"rows\"")));
  EXPECT_EQ(j["rows"].size(), 3u);
  EXPECT_EQ(count_lines(dir + "/rows.jsonl"), 3);
  // other settings in the same directory: one line naming the difference, non-zero exit
  auto other = run_cli(sweep + " --kappa 5");
  EXPECT_NE(other.code, 0);
  EXPECT_NE(other.output.find("localist: error: sweep directory"), std::string::npos) << other.output;
  EXPECT_NE(other.output.find("localist.kappa was 10.0, now 5.0"), std::string::npos) << other.output;
  // training flags mean nothing to the inference protocol
  auto flags = run_cli(sweep + " --max-steps 5");
  EXPECT_NE(flags.code, 0);
  EXPECT_NE(flags.output.find("--max-steps is for --protocol retrain"), std::string::npos)
      << flags.output;
  auto lambda = run_cli(sweep + " --lambda 0.5");
  EXPECT_NE(lambda.code, 0);
  EXPECT_NE(lambda.output.find("use --lambdas"), std::string::npos) << lambda.output;
  auto sampled = run_cli(sweep + " --lambda-sample 0:1");
  EXPECT_NE(sampled.code, 0);
  EXPECT_NE(sampled.output.find("--lambda-sample is for localist train"), std::string::npos) << sampled.output;
}

TEST(CliSweep, RetrainProtocolTrainsARunPerLambda) {
  const auto dir = cli_tmp("sweep_retrain");
  auto s = run_cli("sweep --protocol retrain --out " + dir + " --lambdas 0,1 --max-tokens 300 " + kSweepTiny);
  ASSERT_EQ(s.code, 0) << s.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/runs/lambda_0.0/checkpoint/checkpoint.json"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/runs/lambda_1.0/checkpoint/checkpoint.json"));
  EXPECT_NE(s.output.find("protocol retrain"), std::string::npos) << s.output;
  EXPECT_EQ(count_lines(dir + "/sweep.csv"), 3);
}

}  // namespace
}  // namespace localist
