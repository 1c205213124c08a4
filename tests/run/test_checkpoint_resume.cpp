// Checkpoints: save -> load gives identical logits; an interrupted run resumed from its
// checkpoint produces exactly the losses of an uninterrupted one; a half-written save never
// replaces a good checkpoint.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "localist/core/errors.h"
#include "localist/core/safetensors.h"
#include "localist/core/temp_dir.h"
#include "localist/run/checkpoint.h"
#include "localist/train/trainer.h"

namespace fs = std::filesystem;

namespace localist {
namespace {

TrainRequest tiny_request(const std::string& dir) {
  TrainRequest r;
  r.model.n_layer = 1;
  r.model.n_head = 2;
  r.model.n_embd = 16;
  r.model.context_length = 16;
  r.model.dropout = 0.1;  // resume must also reproduce dropout masks
  r.data.synth_tokens = 4000;
  r.train.batch_size = 4;
  r.train.grad_accum = 2;
  r.train.max_steps = 12;
  r.train.warmup_steps = 3;
  r.train.eval_interval = 6;
  r.train.eval_tokens = 200;
  r.train.log_interval = 1;
  r.train.device = "cpu";
  r.run_dir = dir;
  r.out = nullptr;
  return r;
}

TEST(Checkpoint, SaveLoadGivesIdenticalLogits) {
  TempDir tmp;
  const auto dir = tmp.file("run");
  auto req = tiny_request(dir);
  req.train.max_steps = 3;
  train(req);
  auto a = load_model(dir, torch::kCPU);
  auto b = load_model(dir + "/checkpoint", torch::kCPU);
  auto idx = torch::randint(0, a.meta.model.vocab_size, {2, 16}, torch::kLong);
  EXPECT_TRUE(torch::equal(a.model->forward(idx).logits, b.model->forward(idx).logits));
  EXPECT_EQ(a.meta.step, 3);
  EXPECT_EQ(a.tokenizer->to_json(), b.tokenizer->to_json());
}

TEST(Checkpoint, ResumeReproducesUninterruptedLosses) {
  TempDir tmp;
  auto full = train(tiny_request(tmp.file("full")));
  ASSERT_EQ(full.losses.size(), 12u);

  const auto dir = tmp.file("interrupted");
  auto first = tiny_request(dir);
  first.stop_at = 5;  // not at an eval: the extra checkpoint comes from stop_at
  auto part1 = train(first);
  ASSERT_EQ(part1.losses.size(), 5u);
  auto second = tiny_request(dir);
  second.resume = true;
  auto part2 = train(second);
  ASSERT_EQ(part2.losses.size(), 7u);
  for (size_t i = 0; i < 12; ++i) {
    const double resumed = i < 5 ? part1.losses[i] : part2.losses[i - 5];
    EXPECT_DOUBLE_EQ(resumed, full.losses[i]) << "step " << i + 1;
  }
  EXPECT_DOUBLE_EQ(part2.valid.nll, full.valid.nll);
}

TEST(Checkpoint, DeterministicUnderASeed) {
  TempDir tmp;
  auto a = train(tiny_request(tmp.file("a")));
  auto b = train(tiny_request(tmp.file("b")));
  EXPECT_EQ(a.losses, b.losses);
  auto req = tiny_request(tmp.file("c"));
  req.train.seed = 99;
  EXPECT_NE(train(req).losses, a.losses);
}

TEST(Checkpoint, CorruptWeightsAreRejectedWithAClearError) {
  TempDir tmp;
  const auto dir = tmp.file("run");
  auto req = tiny_request(dir);
  req.train.max_steps = 1;
  train(req);
  fs::resize_file(dir + "/checkpoint/model.safetensors", 100);
  EXPECT_THROW(load_model(dir, torch::kCPU), CheckpointError);
}

TEST(Checkpoint, NonFiniteWeightsAreRefusedAndTheCheckpointKept) {
  TempDir tmp;
  const auto dir = tmp.file("run");
  auto req = tiny_request(dir);
  req.train.max_steps = 2;
  train(req);
  const auto weights = dir + "/checkpoint/model.safetensors";
  auto tensors = load_safetensors(weights);
  tensors.at("wte.weight")[0][0] = std::numeric_limits<float>::quiet_NaN();
  save_safetensors(weights, tensors);
  EXPECT_THROW(load_model(dir, torch::kCPU), CheckpointError);
  auto resume = tiny_request(dir);
  resume.resume = true;
  resume.max_steps_override = 4;
  EXPECT_THROW(train(resume), CheckpointError);
  EXPECT_EQ(read_checkpoint_meta(dir + "/checkpoint").step, 2);  // nothing overwritten
}

TEST(Checkpoint, DialTrainedRunStoresItsLocalistSettings) {
  TempDir tmp;
  const auto dir = tmp.file("run");
  auto req = tiny_request(dir);
  req.train.max_steps = 2;
  req.localist.blocks = "window:4";
  req.localist.lambda = 0.7;
  req.localist.kappa = std::numeric_limits<double>::infinity();
  auto s = train(req);
  EXPECT_TRUE(std::isfinite(s.valid.nll));
  auto meta = read_checkpoint_meta(dir + "/checkpoint");
  EXPECT_EQ(meta.localist.blocks, "window:4");
  EXPECT_DOUBLE_EQ(meta.localist.lambda, 0.7);
  EXPECT_TRUE(std::isinf(meta.localist.kappa));
}

TEST(Checkpoint, MissingCheckpointIsAPathError) {
  EXPECT_THROW(load_model("/nonexistent/run", torch::kCPU), PathError);
}

}  // namespace
}  // namespace localist
