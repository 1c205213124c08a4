// Across checkpoints: models trained at a higher lambda (the logit bias on in training) attend
// more locally at their own lambda: lower entropy, higher pointer and block fidelity; at
// lambda = 1 with a hard mask nothing reaches an off-target key. The same on one checkpoint with
// the dial moved at inference.
#include <gtest/gtest.h>

#include <limits>

#include "localist/core/temp_dir.h"
#include "localist/run/checkpoint.h"
#include "localist/train/trainer.h"
#include "tiny_run.h"

namespace localist {
namespace {

AttentionMetrics trained_at(double lambda, double kappa, const std::string& dir) {
  auto r = testing::tiny_localist_run(dir);
  r.localist.lambda = lambda;
  r.localist.kappa = kappa;
  r.localist.logit_bias = true;
  train(r);
  return testing::tiny_run_attention(dir);
}

TEST(DialTraining, HigherLambdaCheckpointsAreMoreLocalist) {
  TempDir tmp;
  double last_entropy = 1e9, last_block = -1, last_pointer = -1;
  for (double lambda : {0.0, 0.3, 1.0}) {
    const auto m = trained_at(lambda, 10.0, tmp.file("l" + std::to_string(lambda)));
    std::printf("trained at lambda %.1f: entropy %.3f bits, pointer %.4f, block %.4f\n", lambda,
                m.entropy_bits, m.pointer_fidelity, m.block_fidelity);
    EXPECT_LT(m.entropy_bits, last_entropy) << lambda;
    EXPECT_GT(m.block_fidelity, last_block) << lambda;
    EXPECT_GT(m.pointer_fidelity, last_pointer) << lambda;
    last_entropy = m.entropy_bits;
    last_block = m.block_fidelity;
    last_pointer = m.pointer_fidelity;
  }
  const auto hard = trained_at(1.0, std::numeric_limits<double>::infinity(), tmp.file("hard"));
  EXPECT_NEAR(hard.block_fidelity, 1.0, 1e-6);  // off-target mass zero to float32 rounding

  // one checkpoint (trained at lambda = 0), the dial moved at inference only
  const auto dir = tmp.file("l" + std::to_string(0.0));
  LocalistConfig lc = read_checkpoint_meta(find_checkpoint_dir(dir)).localist;  // kappa 10
  double entropy = 1e9, block = -1, pointer = -1;
  for (double lambda : {0.0, 0.25, 0.5, 1.0}) {
    lc.lambda = lambda;
    const auto m = testing::tiny_run_attention(dir, &lc);
    EXPECT_LT(m.entropy_bits, entropy) << lambda;
    EXPECT_GT(m.block_fidelity, block) << lambda;
    EXPECT_GT(m.pointer_fidelity, pointer) << lambda;
    entropy = m.entropy_bits, block = m.block_fidelity, pointer = m.pointer_fidelity;
  }
  lc.lambda = 1.0;
  lc.kappa = std::numeric_limits<double>::infinity();
  EXPECT_NEAR(testing::tiny_run_attention(dir, &lc).block_fidelity, 1.0, 1e-6);
}

}  // namespace
}  // namespace localist
