// `localist report` end to end: a run and a sweep of it into one HTML file; a directory that is
// neither, or a corrupt sweep.json, is one error line, a non-zero exit and no output file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_run.h"

namespace localist {
namespace {

namespace fs = std::filesystem;
using testing::cli_tmp;
using testing::run_cli;

const std::string kReportTiny =
    "--n-layer 1 --n-head 2 --n-embd 16 --block-size 32 --batch-size 4 --max-steps 30 "
    "--eval-interval 30 --eval-tokens 200 --log-interval 10 --synth-tokens 3000 --device cpu ";

TEST(CliReport, WritesOneSelfContainedPage) {
  const auto run = cli_tmp("report_run"), sweep = cli_tmp("report_sweep");
  auto t = run_cli("train " + kReportTiny + "--out " + run + " --lambda 1");
  ASSERT_EQ(t.code, 0) << t.output;
  auto s = run_cli("sweep --protocol inference --checkpoint " + run + " --out " + sweep +
                   " --lambdas 0,1 --max-tokens 200 --device cpu");
  ASSERT_EQ(s.code, 0) << s.output;
  const auto out = cli_tmp("report.html");
  auto r = run_cli("report " + sweep + " " + run + " --out " + out + " --tokens 16");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote " + out), std::string::npos) << r.output;
  std::ifstream in(out);
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("Sweep curves"), std::string::npos);
  EXPECT_NE(html.find("first 16 tokens of the validation split"), std::string::npos);
  // default lambdas: 0 and the checkpoint's own (1): 2 x 1 layer x 2 heads
  size_t n = 0;
  for (size_t p = html.find("class=\"heatmap attn\""); p != std::string::npos;
       p = html.find("class=\"heatmap attn\"", p + 1))
    ++n;
  EXPECT_EQ(n, 4u);
}

TEST(CliReport, ErrorsAreOneLineAndWriteNothing) {
  const auto empty = cli_tmp("report_empty"), bad = cli_tmp("report_bad");
  fs::create_directories(empty);
  fs::create_directories(bad);
  std::ofstream(bad + "/sweep.json") << "{not json";
  const auto out = cli_tmp("report_err.html");
  auto r = run_cli("report " + empty + " --out " + out);
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.output, "localist: error: report: '" + empty +
                          "' is neither a sweep directory (no sweep.json), a concentration directory (no "
                          "concentration.json), a figures directory (no figures.json) nor a run directory (no "
                          "checkpoint/checkpoint.json or metrics.jsonl)\n");
  r = run_cli("report " + bad + " --out " + out);
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.output.rfind("localist: error: report: '" + bad + "/sweep.json' is not valid JSON (", 0), 0u) << r.output;
  r = run_cli("report " + bad + " --lambdas 0,2 --out " + out);
  EXPECT_NE(r.code, 0);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".tmp"));
}

}  // namespace
}  // namespace localist
