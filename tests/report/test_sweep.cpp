// The locality sweep on tiny synthetic runs: the inference protocol's monotone trends, the
// retrain protocol's runs, the files written, resuming without recomputing, and refusing a
// sweep directory made with other settings.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "localist/core/errors.h"
#include "localist/core/temp_dir.h"
#include "localist/report/sweep.h"
#include "localist/run/checkpoint.h"
#include "tiny_run.h"

namespace localist {
namespace {

namespace fs = std::filesystem;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// A tiny run trained without the dial (lambda = 0, logit bias on): the checkpoint to sweep.
std::string trained_checkpoint(TempDir& tmp) {
  auto r = testing::tiny_localist_run(tmp.file("run"));
  r.localist.lambda = 0;
  r.localist.logit_bias = true;
  train(r);
  return r.run_dir;
}

SweepConfig inference(const std::string& checkpoint, std::vector<double> lambdas) {
  SweepConfig c;
  c.protocol = "inference";
  c.checkpoint = checkpoint;
  c.lambdas = std::move(lambdas);
  c.max_tokens = 1000;
  c.device = "cpu";
  c.localist.blocks = "segment";  // as the run was trained (the app takes the checkpoint's)
  return c;
}

TEST(Sweep, ParsesRangesAndLists) {
  EXPECT_EQ(parse_lambdas("1.0:0.0:0.1"),
            (std::vector<double>{1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0}));
  EXPECT_EQ(parse_lambdas("0:1:0.5"), (std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_EQ(parse_lambdas("0,0.25,1"), (std::vector<double>{0.0, 0.25, 1.0}));
  EXPECT_THROW(parse_lambdas("0,1.5"), ConfigError);
  EXPECT_THROW(parse_lambdas("0:1:0"), ConfigError);
  EXPECT_THROW(parse_lambdas("0,x"), ConfigError);
  EXPECT_THROW(parse_lambdas("0,0"), ConfigError);
}

TEST(Sweep, InferenceProtocolIsMonotoneAndWritesTheTables) {
  TempDir tmp("sweep");
  const auto ckpt = trained_checkpoint(tmp);
  const auto dir = tmp.file("sweep");
  const auto r = run_sweep(inference(ckpt, {0.0, 0.25, 0.5, 1.0}), dir, nullptr);
  ASSERT_EQ(r.rows.size(), 4u);
  for (size_t i = 1; i < r.rows.size(); ++i) {  // lambda rises down the list
    EXPECT_LE(r.rows[i].entropy_bits, r.rows[i - 1].entropy_bits) << i;
    EXPECT_GE(r.rows[i].block_fidelity, r.rows[i - 1].block_fidelity) << i;
    EXPECT_GE(r.rows[i].pointer_fidelity, r.rows[i - 1].pointer_fidelity) << i;
    EXPECT_EQ(r.rows[i].tokens, 1000);
    EXPECT_EQ(r.rows[i].max_entropy_bits, r.rows[0].max_entropy_bits);  // same queries
  }
  EXPECT_GT(r.rows.back().block_fidelity, r.rows.front().block_fidelity + 0.05);
  EXPECT_EQ(r.rows[0].weight_group_sparsity, 0.0);  // no weight-group penalty in training
  const auto csv = lines(dir + "/sweep.csv");
  ASSERT_EQ(csv.size(), 5u);  // header + one line per lambda
  EXPECT_EQ(csv[2].substr(0, 5), "0.25,");
  const auto md = read(dir + "/sweep.md");
  EXPECT_NE(md.find("protocol inference"), std::string::npos) << md;
  EXPECT_NE(md.find("| 0.5 |"), std::string::npos) << md;
  const auto j = nlohmann::json::parse(read(dir + "/sweep.json"));
  EXPECT_EQ(j["rows"].size(), 4u);
  EXPECT_EQ(j["rows"][3]["block_fidelity"].get<double>(), r.rows[3].block_fidelity);
  EXPECT_EQ(j["settings"]["protocol"], "inference");
}

TEST(Sweep, ResumeSkipsFinishedRowsAndRefusesOtherSettings) {
  TempDir tmp("sweep");
  const auto ckpt = trained_checkpoint(tmp);
  const auto dir = tmp.file("sweep");
  auto first = run_sweep(inference(ckpt, {0.0, 1.0}), dir, nullptr);
  EXPECT_EQ(first.computed, 2);
  const auto before = lines(dir + "/rows.jsonl");
  ASSERT_EQ(before.size(), 2u);
  // interrupted after two rows: the same command with a third lambda computes only that one
  std::ostringstream progress;
  auto second = run_sweep(inference(ckpt, {0.0, 0.5, 1.0}), dir, &progress);
  EXPECT_EQ(second.computed, 1);
  EXPECT_NE(progress.str().find("run 2/3 lambda 0.5"), std::string::npos) << progress.str();
  EXPECT_NE(progress.str().find("run 3/3 lambda 1.0: done earlier"), std::string::npos);
  const auto after = lines(dir + "/rows.jsonl");
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0], before[0]);  // unchanged, timing included: not recomputed
  EXPECT_EQ(after[1], before[1]);
  EXPECT_EQ(second.rows[2].seconds, first.rows[1].seconds);
  EXPECT_EQ(lines(dir + "/sweep.csv").size(), 4u);
  // another split, or another kappa, is another sweep: refused, naming the difference
  auto other = inference(ckpt, {0.0});
  other.split = "valid";
  try {
    run_sweep(other, dir, nullptr);
    FAIL() << "a changed split was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("split was \"test\", now \"valid\""), std::string::npos)
        << e.what();
  }
  auto kappa = inference(ckpt, {0.0});
  kappa.localist.kappa = 5;
  EXPECT_THROW(run_sweep(kappa, dir, nullptr), ConfigError);
  EXPECT_EQ(lines(dir + "/rows.jsonl").size(), 3u);
}

SweepConfig retrain(std::vector<double> lambdas) {
  const auto tiny = testing::tiny_localist_run("");
  SweepConfig c;
  c.protocol = "retrain";
  c.lambdas = std::move(lambdas);
  c.model = tiny.model;
  c.data = tiny.data;
  c.train = tiny.train;
  c.localist = tiny.localist;
  c.localist.logit_bias = true;
  c.max_tokens = 1000;
  c.device = "cpu";
  return c;
}

TEST(Sweep, RetrainProtocolTrainsOneRunPerLambdaAndResumesAnUnfinishedOne) {
  TempDir tmp("sweep");
  const auto dir = tmp.file("sweep");
  const auto cfg = retrain({0.0, 1.0});
  {  // the lambda = 0 run was interrupted at step 50 (same config, as the sweep would train it)
    auto r = testing::tiny_localist_run(dir + "/runs/lambda_0.0");
    r.localist = cfg.localist;
    r.localist.lambda = 0;
    r.stop_at = 50;
    train(r);
  }
  std::ostringstream progress;
  const auto out = run_sweep(cfg, dir, &progress);
  EXPECT_NE(progress.str().find("resuming at step 50"), std::string::npos) << progress.str();
  ASSERT_EQ(out.rows.size(), 2u);
  for (const char* run : {"lambda_0.0", "lambda_1.0"}) {
    const auto meta = read_checkpoint_meta(dir + "/runs/" + run + "/checkpoint");
    EXPECT_EQ(meta.step, 150) << run;
  }
  EXPECT_EQ(read_checkpoint_meta(dir + "/runs/lambda_1.0/checkpoint").localist.lambda, 1.0);
  EXPECT_EQ(out.rows[1].run, dir + "/runs/lambda_1.0");
  // trained and evaluated at the higher lambda: more of the attention on the target block
  EXPECT_GT(out.rows[1].block_fidelity, out.rows[0].block_fidelity + 0.05);
  EXPECT_LT(out.rows[1].entropy_bits, out.rows[0].entropy_bits);
  // another training budget is another sweep
  auto longer = cfg;
  longer.train.max_steps = 200;
  EXPECT_THROW(run_sweep(longer, dir, nullptr), ConfigError);
}

}  // namespace
}  // namespace localist
