// The `localist` command end to end: bad input gives one clear line and a non-zero exit;
// train -> eval --json -> generate works from the command line.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace fs = std::filesystem;

namespace {

using Result = localist::testing::CliResult;
Result run(const std::string& args) { return localist::testing::run_cli(args); }
std::string tmp(const std::string& name) { return localist::testing::cli_tmp(name); }

const char* kTiny = "--n-layer 1 --n-head 2 --n-embd 16 --block-size 16 --batch-size 4 "
                    "--eval-interval 5 --eval-tokens 100 --device cpu ";

TEST(Cli, VersionNamesLibTorchAndCuda) {
  auto r = run("--version");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("localist "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("LibTorch 2."), std::string::npos) << r.output;
#ifdef LOCALIST_CUDA  // the wheel's LibTorch: CUDA compiled in, whether or not a GPU is here
  EXPECT_NE(r.output.find("CUDA compiled in: yes, CUDA 1"), std::string::npos) << r.output;
#else
  EXPECT_NE(r.output.find("CUDA compiled in: no"), std::string::npos) << r.output;
#endif
  EXPECT_NE(r.output.find("GPUs visible: "), std::string::npos) << r.output;
}

TEST(Cli, MissingDataPathIsAClearError) {
  auto r = run(std::string("train ") + kTiny + "--max-steps 2 --data /no/such/corpus.txt --out " + tmp("bad"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("/no/such/corpus.txt"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("localist: error:"), std::string::npos) << r.output;
}

TEST(Cli, EmptyCorpusIsAClearError) {
  const auto f = tmp("empty.txt");
  std::ofstream(f) << "  \n\n";
  auto r = run(std::string("train ") + kTiny + "--max-steps 2 --data " + f + " --out " + tmp("empty_run"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("empty"), std::string::npos) << r.output;
}

TEST(Cli, ImpossibleConfigIsAClearError) {
  auto r = run("train --n-embd 30 --n-head 4 --max-steps 2 --synth-tokens 2000 --device cpu --out " + tmp("cfg"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("config: --n-embd = 30"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate"), std::string::npos) << r.output;
  auto r2 = run("train --lr -1 --device cpu --out " + tmp("cfg2"));
  EXPECT_NE(r2.code, 0);
  EXPECT_NE(r2.output.find("lr = -1"), std::string::npos) << r2.output;
}

TEST(Cli, EvalOfMissingCheckpointIsAClearError) {
  auto r = run("eval /no/such/run");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("/no/such/run"), std::string::npos) << r.output;
}

TEST(Cli, TrainEvalJsonAndGenerateEndToEnd) {
  const auto dir = tmp("e2e");
  fs::remove_all(dir);
  auto t = run(std::string("train ") + kTiny + "--max-steps 6 --synth-tokens 3000 --out " + dir);
  ASSERT_EQ(t.code, 0) << t.output;
  EXPECT_NE(t.output.find("tok/s"), std::string::npos) << t.output;
  EXPECT_TRUE(fs::exists(dir + "/checkpoint/model.safetensors"));
  EXPECT_TRUE(fs::exists(dir + "/metrics.jsonl"));

  auto e = run("eval " + dir + " --json --device cpu");
  ASSERT_EQ(e.code, 0) << e.output;
  auto j = nlohmann::json::parse(e.output);
  EXPECT_NEAR(j.at("perplexity").get<double>(), std::exp(j.at("nll_nats").get<double>()), 1e-9);
  EXPECT_GE(j.at("accuracy").get<double>(), 0.0);
  EXPECT_LE(j.at("accuracy").get<double>(), 1.0);
  EXPECT_GT(j.at("tokens").get<int64_t>(), 0);
  // eval on the validation split repeats the trainer's last evaluation
  auto v = run("eval " + dir + " --json --device cpu --split valid --max-tokens 100");  // kTiny's --eval-tokens
  ASSERT_EQ(v.code, 0) << v.output;
  const auto valid = nlohmann::json::parse(v.output);
  nlohmann::json last_eval;
  std::ifstream log(dir + "/metrics.jsonl");
  for (std::string line; std::getline(log, line);) {
    const auto rec = nlohmann::json::parse(line);
    if (rec["type"] == "eval") last_eval = rec;
  }
  ASSERT_TRUE(last_eval.is_object());
  EXPECT_EQ(last_eval["step"], 6);
  EXPECT_EQ(valid["tokens"], last_eval["tokens"]);
  EXPECT_NEAR(valid["perplexity"].get<double>(), last_eval["perplexity"].get<double>(), 1e-4);
  EXPECT_NEAR(valid["accuracy"].get<double>(), last_eval["accuracy"].get<double>(), 1e-12);

  // The dial moves at inference on the same checkpoint: block fidelity rises with lambda and
  // the hard mask leaves no off-target mass.
  auto dialled = [&](const std::string& flags) {
    auto r = run("eval " + dir + " --json --device cpu --blocks window:4 " + flags);
    EXPECT_EQ(r.code, 0) << r.output;
    return nlohmann::json::parse(r.output);
  };
  auto d0 = dialled("--lambda 0"), d5 = dialled("--lambda 0.5"), d1 = dialled("--lambda 1 --kappa inf");
  for (const char* key : {"attention_entropy_bits", "max_entropy_bits", "pointer_fidelity", "block_fidelity"})
    EXPECT_TRUE(d0.contains(key)) << key;
  EXPECT_LT(d0["block_fidelity"].get<double>(), d5["block_fidelity"].get<double>());
  EXPECT_GT(d0["attention_entropy_bits"].get<double>(), d5["attention_entropy_bits"].get<double>());
  EXPECT_NEAR(d1["block_fidelity"].get<double>(), 1.0, 1e-6);
  auto bad = run("eval " + dir + " --lambda 1.5");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("lambda = 1.5"), std::string::npos) << bad.output;
  auto bad_window = run("eval " + dir + " --blocks window:0");
  EXPECT_NE(bad_window.code, 0);
  EXPECT_NE(bad_window.output.find("window"), std::string::npos) << bad_window.output;

  auto g = run("generate " + dir + " --prompt 'a0' -n 10 --device cpu");
  ASSERT_EQ(g.code, 0) << g.output;
  EXPECT_GT(g.output.size(), 4u);
}

}  // namespace
