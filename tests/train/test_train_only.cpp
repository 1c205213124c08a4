// --train-only: parameters whose names do not match stay exactly as they started (a cheap
// specialist changes only what it names, which is what its code length counts); --init-from
// starts from a base run's weights and tokenizer; bad patterns are clear errors.
#include <gtest/gtest.h>

#include "cli_run.h"
#include "localist/run/checkpoint.h"
#include "tiny_run.h"

namespace localist {
namespace {

TEST(TrainOnly, FrozenParametersDoNotMoveAndTrainableAreCounted) {
  const auto base_dir = testing::cli_tmp("only_base");
  auto base = testing::tiny_localist_run(base_dir);
  base.train.max_steps = 20;
  train(base);
  auto req = testing::tiny_localist_run(testing::cli_tmp("only_spec"));
  req.train.max_steps = 20;
  req.init_from = base_dir;
  req.train.train_only = "ln_|bias";
  const auto s = train(req);
  auto before = load_model(base_dir, torch::kCPU), after = load_model(req.run_dir, torch::kCPU);
  EXPECT_EQ(after.meta.tokenizer, before.meta.tokenizer);
  int64_t trainable = 0, moved = 0;
  auto old = before.model->named_parameters();
  for (const auto& p : after.model->named_parameters()) {
    const bool named = p.key().find("ln_") != std::string::npos || p.key().find("bias") != std::string::npos;
    const bool same = torch::equal(p.value(), old[p.key()]);
    if (named) {
      trainable += p.value().numel();
      moved += !same;
    } else {
      EXPECT_TRUE(same) << p.key() << " moved although frozen";
    }
  }
  EXPECT_EQ(s.trainable, trainable);
  EXPECT_LT(s.trainable, s.params / 10);
  EXPECT_GT(moved, 0);
}

TEST(TrainOnly, BadPatternsAndCombinationsAreErrors) {
  auto r = testing::run_cli("train --max-steps 2 --train-only '(' --out " + testing::cli_tmp("bad1"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("not a valid regular expression"), std::string::npos) << r.output;
  r = testing::run_cli("train --max-steps 2 --train-only nothing_matches_this --n-layer 1 --n-embd 16 "
                       "--block-size 16 --synth-tokens 2000 --out " + testing::cli_tmp("bad2"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("matches no parameter"), std::string::npos) << r.output;
  r = testing::run_cli("synth --out " + testing::cli_tmp("s.txt") + " --split nope");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("nope"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace localist
