// Data-parallel training over c10d (issue 9): two processes over Gloo on loopback, launched
// by torchrun (PyTorch's launcher), end with the weights (to rounding) and the losses of one process
// trained on the same global batch; only rank 0 writes; a missing environment is a clear error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_run.h"
#include "localist/core/safetensors.h"
#include "localist/run/checkpoint.h"

namespace fs = std::filesystem;

namespace localist {
namespace {

using testing::cli_tmp;
using testing::run_cli;
using testing::run_torchrun2;

const std::string kModel = "--n-layer 2 --n-head 2 --n-embd 32 --block-size 32 --max-steps 12 --synth-tokens 5000 "
                           "--device cpu --threads 1 --eval-interval 6 --log-interval 1 --alpha-att 0.05 --lambda 0.5 ";

std::vector<nlohmann::json> train_records(const std::string& run) {
  std::vector<nlohmann::json> out;
  std::ifstream in(run + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["type"] == "train") out.push_back(j);
  }
  return out;
}

// grad_accum 2: the hooks all-reduce during the second micro-step's backward only, on what
// both micro-steps accumulated
TEST(CliDistributed, TwoRanksOverGlooEqualOneProcessOnTheGlobalBatch) {
  for (const std::string accum : {"1", "2"}) {
    const auto single = cli_tmp("dp_single" + accum), pair = cli_tmp("dp_pair" + accum);
    fs::remove_all(single);
    fs::remove_all(pair);
    const std::string args = kModel + "--grad-accum " + accum + " ";
    auto one = run_cli("train " + args + "--batch-size 8 --out " + single);
    ASSERT_EQ(one.code, 0) << one.output;
    const auto launched = run_torchrun2("train --distributed " + args + "--batch-size 4 --out " + pair);
    const std::string& out = launched.output;
    ASSERT_EQ(launched.code, 0) << out;
    EXPECT_NE(out.find("distributed: 2 processes over c10d (gloo), batch 4 per rank, 8 in all"), std::string::npos) << out;
    EXPECT_EQ(out.find("localist train:"), out.rfind("localist train:")) << "only rank 0 prints: " << out;

    const auto a = load_safetensors(single + "/checkpoint/model.safetensors");
    const auto b = load_safetensors(pair + "/checkpoint/model.safetensors");
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [name, t] : a)
      EXPECT_TRUE(torch::allclose(t, b.at(name), /*rtol=*/1e-4, /*atol=*/1e-5))
          << "accum " << accum << " " << name << ": max difference " << (t - b.at(name)).abs().max().item<double>();
    const auto la = train_records(single), lb = train_records(pair);
    ASSERT_EQ(la.size(), 12u);
    ASSERT_EQ(lb.size(), 12u);  // rank 0 alone writes the log
    for (size_t i = 0; i < la.size(); ++i)
      EXPECT_NEAR(la[i]["loss"].get<double>(), lb[i]["loss"].get<double>(), 1e-5) << "accum " << accum << " step " << i + 1;
    EXPECT_NEAR(load_model(single, torch::kCPU).meta.metrics["loss"].get<double>(),
                load_model(pair, torch::kCPU).meta.metrics["loss"].get<double>(), 1e-5);
  }
}

std::string launch2(const std::string& args) {
  const auto r = run_torchrun2(args);
  return r.code == 0 ? r.output : "FAILED: " + r.output;
}

// Rank 0 decides; every rank applies its outcome (rules, weights and AdamW state through the
// store), and the run's end checks that all ranks hold exactly the same weights. A corpus of
// 10^6 tokens makes a block's description cheap enough to pay at 30 steps; a new head would
// not, so the recruited blocks come without heads here.
TEST(CliDistributed, RecruitmentLeavesAllRanksIdentical) {
  const auto run = cli_tmp("dp_recruit");
  fs::remove_all(run);
  const auto out = launch2(
      "train --distributed --n-layer 1 --n-head 2 --n-embd 16 --block-size 32 --batch-size 2 --max-steps 30 "
      "--eval-interval 30 --eval-tokens 1000 --log-interval 30 --synth-tokens 1000000 --device cpu --threads 1 "
      "--blocks vocab --lambda 1 --recruit --recruit-start 10 --recruit-interval 10 --recruit-finetune 5 "
      "--recruit-eval-tokens 1000 --recruit-min-confused 20 --recruit-probe-batches 2 --recruit-heads 0 "
      "--recruit-theta 1e-9 --out " + run);
  ASSERT_EQ(out.rfind("FAILED", 0), std::string::npos) << out;
  EXPECT_NE(out.find("distributed: all 2 ranks hold identical weights and rules"), std::string::npos) << out;
  int accepted = 0;
  int64_t blocks = 1;  // "other"; an accepted split of "other" may add two blocks (shared targets)
  std::ifstream audit(run + "/recruit.jsonl");
  for (std::string line; std::getline(audit, line);) {
    const auto d = nlohmann::json::parse(line);
    if (d.value("decision", "") != "accept") continue;
    ++accepted;
    blocks = d["blocks_after"].get<int64_t>();
  }
  EXPECT_GT(accepted, 0) << out;
  const auto lm = load_model(run, torch::kCPU);
  EXPECT_EQ(static_cast<int64_t>(lm.meta.localist.rules["blocks"].size()) + 1, blocks);  // the grown rules
}

TEST(CliDistributed, WithoutTheLauncherEnvironmentIsAClearError) {
  const auto r = run_cli("train --distributed --max-steps 2 --synth-tokens 2000 --device cpu --out " + cli_tmp("dp_noenv"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("environment variable RANK is not set"), std::string::npos) << r.output;
  const auto bad = run_cli("train --distributed --max-steps 2 --device cpu --out " + cli_tmp("dp_badenv") +
                           " 2>&1 | cat; RANK=3 WORLD_SIZE=2 " + LOCALIST_BINARY +
                           " train --distributed --max-steps 2 --device cpu --out " + cli_tmp("dp_badenv"));
  EXPECT_NE(bad.output.find("RANK 3 outside WORLD_SIZE 2"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace localist
