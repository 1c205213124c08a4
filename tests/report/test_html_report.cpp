// The HTML report on a tiny trained run and a tiny inference sweep of it: the sections, one
// attention heatmap (and one block-mass matrix) per layer/head per lambda, self-contained
// (no http(s) references, no scripts), every <svg closed; and the errors, before any output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "localist/core/errors.h"
#include "localist/core/temp_dir.h"
#include "localist/report/html_report.h"
#include "localist/report/sweep.h"
#include "tiny_run.h"
#include "occurrences.h"

namespace localist {
namespace {

namespace fs = std::filesystem;

using testing::occurrences;

// A tiny run trained without the dial (lambda = 0, logit bias on) and a 3-row inference sweep.
struct Fixture {
  TempDir tmp{"report"};
  std::string run = tmp.file("run"), sweep = tmp.file("sweep");
  Fixture() {
    auto r = testing::tiny_localist_run(run);
    r.localist.lambda = 0;
    r.localist.logit_bias = true;
    train(r);
    SweepConfig c;
    c.checkpoint = run;
    c.lambdas = {0.0, 0.5, 1.0};
    c.max_tokens = 500;
    c.device = "cpu";
    c.localist = r.localist;
    run_sweep(c, sweep, nullptr);
  }
};

TEST(HtmlReport, SweepAndRunGiveEverySectionSelfContained) {
  Fixture f;
  ReportOptions o;
  o.dirs = {f.sweep, f.run};
  o.lambdas = {0.0, 1.0};
  const auto html = build_report(o);
  EXPECT_NE(html.find("<h2>Sweep curves</h2>"), std::string::npos);
  for (const char* title : {"Attention entropy against λ", "Pointer fidelity against λ",
                            "Block fidelity against λ", "Perplexity against λ (log scale)",
                            "Top-1 accuracy against λ"})
    EXPECT_NE(html.find(title), std::string::npos) << title;
  EXPECT_NE(html.find("sweep: protocol inference, blocks segment, κ 10.0, split test"), std::string::npos);
  EXPECT_NE(html.find("<h3>Training curves</h3>"), std::string::npos);
  EXPECT_NE(html.find("train loss (per logged step)"), std::string::npos);
  EXPECT_NE(html.find("valid loss (at each evaluation)"), std::string::npos);
  EXPECT_NE(html.find("<h3>Attention heatmaps and block mass</h3>"), std::string::npos);
  EXPECT_NE(html.find("first 32 tokens of the validation split"), std::string::npos);  // context 32
  // 1 layer x 2 heads x 2 lambdas
  EXPECT_EQ(occurrences(html, "class=\"heatmap attn\""), 4);
  EXPECT_EQ(occurrences(html, "class=\"heatmap mass\""), 4);
  EXPECT_EQ(occurrences(html, "<h4 class=\"lambda\">"), 2);
  EXPECT_NE(html.find("layer 0, head 1, λ 1.0"), std::string::npos);
  EXPECT_EQ(occurrences(html, "class=\"chart\""), 6);  // 5 sweep curves + 1 training chart
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_GT(occurrences(html, "<svg"), 0);
  EXPECT_EQ(occurrences(html, "<svg"), occurrences(html, "</svg>"));
  EXPECT_EQ(occurrences(html, "<figure>"), occurrences(html, "</figure>"));
  EXPECT_EQ(html.rfind("</html>\n"), html.size() - 8);
}

TEST(HtmlReport, ADialRobustCheckpointsCurveSaysHowItWasTrained) {
  Fixture f;
  SweepConfig c;  // the checkpoint's settings as `localist sweep` passes them, here with lambda sampled
  c.checkpoint = f.run;
  c.lambdas = {0.0, 1.0};
  c.max_tokens = 200;
  c.device = "cpu";
  c.localist.lambda_sample = "0:1";
  const auto robust = f.tmp.file("robust");
  run_sweep(c, robust, nullptr);
  ReportOptions o;
  o.dirs = {f.sweep, robust};
  const auto html = build_report(o);
  EXPECT_NE(html.find("robust: protocol inference (trained with λ drawn in 0:1), blocks segment"), std::string::npos);
  EXPECT_NE(html.find("sweep: protocol inference, blocks segment"), std::string::npos);  // the fixed one: unchanged
}

TEST(HtmlReport, DefaultLambdasAndAGivenText) {
  Fixture f;
  ReportOptions o;
  o.dirs = {f.run};
  o.text = "C1 c2 c3\nC4 c5";
  o.tokens = 6;
  const auto html = build_report(o);  // checkpoint lambda 0: only lambda 0
  EXPECT_EQ(occurrences(html, "class=\"heatmap attn\""), 2);
  EXPECT_NE(html.find("first 6 tokens of the text given (--text)"), std::string::npos);
  EXPECT_EQ(html.find("Sweep curves"), std::string::npos);
  const auto out = f.tmp.file("r.html");
  write_report(o, out);
  EXPECT_TRUE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".tmp"));
}

TEST(HtmlReport, RefusesWhatItCannotUseWithoutWriting) {
  TempDir tmp("report");
  const auto out = tmp.file("r.html");
  fs::create_directories(tmp.file("empty"));
  ReportOptions o;
  o.dirs = {tmp.file("empty")};
  EXPECT_THROW(write_report(o, out), PathError);
  o.dirs = {tmp.file("missing")};
  EXPECT_THROW(write_report(o, out), PathError);
  fs::create_directories(tmp.file("bad"));
  tmp.write("bad/sweep.json", "{\"settings\": {");
  o.dirs = {tmp.file("bad")};
  try {
    write_report(o, out);
    FAIL() << "corrupt sweep.json accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("sweep.json' is not valid JSON"), std::string::npos) << e.what();
  }
  fs::create_directories(tmp.file("log"));
  tmp.write("log/metrics.jsonl", "{\"type\":\"train\",\"step\":1,\"loss\":2}\nnot json\n");
  o.dirs = {tmp.file("log")};
  EXPECT_THROW(write_report(o, out), DataError);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace localist
