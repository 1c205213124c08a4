// Checkpoints under faults (issue 8): a checkpoint.json that disagrees with its weights is
// refused before anything is allocated; renamed or reshaped tensors are named; the last N
// checkpoints are kept; a save killed between its renames still leaves one loadable; NaN or
// Inf gradients stop training with the last good checkpoint intact, or skip the step; a
// resumed run equals an uninterrupted one bit for bit, weights and optimizer state included.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "localist/core/errors.h"
#include "localist/core/safetensors.h"
#include "localist/core/temp_dir.h"
#include "localist/run/checkpoint.h"
#include "checkpoint_checks.h"
#include "tiny_run.h"

namespace fs = std::filesystem;

namespace localist {
namespace {

TrainRequest short_run(const std::string& dir, int64_t steps) {
  auto r = testing::tiny_localist_run(dir);
  r.train.max_steps = steps;
  r.train.eval_interval = steps;
  r.train.log_interval = 1;
  return r;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

void write_json(const std::string& path, const nlohmann::json& j) { std::ofstream(path) << j.dump(2); }

template <typename F>
std::string fault_error(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CheckpointFaults, ConfigDisagreeingWithTheWeightsIsRefusedBeforeBuildingTheModel) {
  TempDir tmp;
  train(short_run(tmp.file("run"), 2));
  const auto json = tmp.file("run/checkpoint/checkpoint.json");
  const auto good = read_json(json);
  // 2^20 wide: building it would allocate terabytes; the header check comes first.
  for (const auto& [field, value] : std::vector<std::pair<std::string, int64_t>>{
           {"n_embd", int64_t{1} << 20}, {"n_layer", 3}, {"vocab_size", 100000}, {"context_length", 64}}) {
    auto j = good;
    j["model"][field] = value;
    write_json(json, j);
    EXPECT_NE(fault_error([&] { load_model(tmp.file("run"), torch::kCPU); }).find("do not belong together"),
              std::string::npos) << field;
  }
  auto j = good;
  j["model"]["n_layer"] = "two";
  write_json(json, j);
  EXPECT_NE(fault_error([&] { load_model(tmp.file("run"), torch::kCPU); }).find("n_layer"), std::string::npos);
  std::ofstream(json) << "{\"format_version\": 1, \"model\": {";
  EXPECT_NE(fault_error([&] { load_model(tmp.file("run"), torch::kCPU); }).find("checkpoint.json"), std::string::npos);
  write_json(json, good);
  EXPECT_NO_THROW(load_model(tmp.file("run"), torch::kCPU));
}

TEST(CheckpointFaults, RenamedOrReshapedTensorsAreNamed) {
  TempDir tmp;
  train(short_run(tmp.file("run"), 2));
  const auto weights = tmp.file("run/checkpoint/model.safetensors");
  const auto good = load_safetensors(weights);
  auto renamed = good;
  auto node = renamed.extract("ln_f.weight");
  node.key() = "ln_g.weight";
  renamed.insert(std::move(node));
  save_safetensors(weights, renamed);
  EXPECT_NE(fault_error([&] { load_model(tmp.file("run"), torch::kCPU); }).find("missing tensor 'ln_f.weight'"),
            std::string::npos);
  auto reshaped = good;
  const std::string fc = "layers.0.mlp.c_fc.weight";  // 128 x 32: same count, wrong shape
  reshaped[fc] = good.at(fc).t().contiguous();
  save_safetensors(weights, reshaped);
  EXPECT_NE(fault_error([&] { load_model(tmp.file("run"), torch::kCPU); }).find("'" + fc + "' has shape"),
            std::string::npos);
}

TEST(CheckpointFaults, KeepsTheLastNCheckpointsEachLoadable) {
  TempDir tmp;
  auto r = short_run(tmp.file("run"), 6);
  r.train.ckpt_interval = 1;
  r.train.keep_checkpoints = 3;
  train(r);
  EXPECT_EQ(load_model(tmp.file("run"), torch::kCPU).meta.step, 6);
  EXPECT_EQ(load_model(tmp.file("run/checkpoint-5"), torch::kCPU).meta.step, 5);
  EXPECT_EQ(load_model(tmp.file("run/checkpoint-4"), torch::kCPU).meta.step, 4);
  EXPECT_FALSE(fs::exists(tmp.file("run/checkpoint-3")));
  EXPECT_FALSE(fs::exists(tmp.file("run/checkpoint.tmp")));
  EXPECT_FALSE(fs::exists(tmp.file("run/checkpoint.old")));
}

TEST(CheckpointFaults, ASaveKilledBetweenItsRenamesLeavesTheOldOneFound) {
  TempDir tmp;
  for (int keep : {1, 2}) {
    const auto run = tmp.file("run" + std::to_string(keep));
    auto r = short_run(run, 4);
    r.train.keep_checkpoints = keep;
    train(r);
    // what a kill after "final -> aside" and before "tmp -> final" leaves
    const auto aside = run + (keep == 1 ? "/checkpoint.old" : "/checkpoint-4");
    fs::rename(run + "/checkpoint", aside);
    fs::create_directories(run + "/checkpoint.tmp");
    std::ofstream(run + "/checkpoint.tmp/model.safetensors") << "half";
    EXPECT_EQ(find_checkpoint_dir(run), aside);
    EXPECT_EQ(load_model(run, torch::kCPU).meta.step, 4);
    r.resume = true;
    r.train.max_steps = 6;
    r.max_steps_override = 6;
    train(r);  // resumes from the set-aside copy and puts things in order
    EXPECT_EQ(load_model(run, torch::kCPU).meta.step, 6);
    EXPECT_FALSE(fs::exists(run + "/checkpoint.tmp"));
  }
}

TEST(CheckpointFaults, NonFiniteGradientsStopWithTheLastGoodCheckpointIntact) {
  TempDir tmp;
  auto r = short_run(tmp.file("run"), 10);
  r.train.ckpt_interval = 2;
  r.poison_gradient_steps = {4};  // step 5 of 10: its loss is finite, its gradients are NaN
  const auto error = fault_error([&] { train(r); });
  EXPECT_NE(error.find("NaN or infinite"), std::string::npos) << error;
  EXPECT_NE(error.find("last good checkpoint is untouched"), std::string::npos) << error;
  EXPECT_EQ(load_model(tmp.file("run"), torch::kCPU).meta.step, 4);
  EXPECT_TRUE(testing::checkpoint_weights_finite(tmp.file("run")));
}

TEST(CheckpointFaults, NonFiniteStepsCanBeSkipped) {
  TempDir tmp;
  auto r = short_run(tmp.file("run"), 10);
  r.train.on_nonfinite = "skip";
  r.poison_gradient_steps = {3, 4};
  const auto s = train(r);
  EXPECT_EQ(s.skipped, 2);
  EXPECT_EQ(s.losses.size(), 8u);
  EXPECT_EQ(load_model(tmp.file("run"), torch::kCPU).meta.step, 10);
  EXPECT_TRUE(testing::checkpoint_weights_finite(tmp.file("run")));
  std::ifstream log(tmp.file("run/metrics.jsonl"));
  std::vector<int64_t> skipped, logged;
  for (std::string line; std::getline(log, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j["type"] == "skip") skipped.push_back(j["step"]);
    if (j["type"] == "train") logged.push_back(j["step"]);
  }
  EXPECT_EQ(skipped, (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(logged, (std::vector<int64_t>{1, 2, 3, 6, 7, 8, 9, 10}));

  auto endless = short_run(tmp.file("endless"), 40);
  endless.train.on_nonfinite = "skip";
  for (int64_t s = 5; s < 40; ++s) endless.poison_gradient_steps.push_back(s);
  const auto error = fault_error([&] { train(endless); });
  EXPECT_NE(error.find(std::to_string(kMaxSkippedSteps) + " steps in a row"), std::string::npos) << error;
}

TEST(CheckpointFaults, ResumeIsBitExactInWeightsAndOptimizerState) {
  TempDir tmp;
  const auto request = [&](const std::string& name) {
    auto r = short_run(tmp.file(name), 14);
    r.model.dropout = 0.1;
    r.train.grad_accum = 2;
    r.train.eval_interval = 5;
    r.localist.logit_bias = true;  // the dial and its attention penalty both act
    r.localist.alpha_att = 0.05;
    return r;
  };
  const auto full = train(request("full"));
  auto first = request("parts");
  first.stop_at = 7;
  const auto part1 = train(first);
  auto second = request("parts");
  second.resume = true;
  const auto part2 = train(second);
  std::vector<double> resumed = part1.losses;
  resumed.insert(resumed.end(), part2.losses.begin(), part2.losses.end());
  EXPECT_EQ(resumed, full.losses);  // exact, not approximately
  for (const char* file : {"model.safetensors", "optimizer.safetensors"}) {
    const auto a = load_safetensors(tmp.file(std::string("full/checkpoint/") + file));
    const auto b = load_safetensors(tmp.file(std::string("parts/checkpoint/") + file));
    ASSERT_EQ(a.size(), b.size()) << file;
    for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << file << " " << name;
  }
}

}  // namespace
}  // namespace localist
