// Training does what it is for: on the synthetic process, whose entropy rate is known exactly
// (data::synthetic_optimal_nll), the loss starts near ln V (an untrained model knows nothing),
// falls, and the held-out NLL closes most of the gap to the optimum without going below it.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <numeric>

#include "localist/core/temp_dir.h"
#include "localist/data/corpus.h"
#include "localist/data/synthetic.h"
#include "tiny_run.h"

namespace localist {
namespace {

TEST(Training, LowersTheLossTowardTheSyntheticOptimum) {
  TempDir dir("localist_converge");
  auto r = testing::tiny_localist_run(dir.file("run"));
  r.localist.lambda = 0;  // ordinary attention: the plainest training there is
  r.data.synth_tokens = 20000;
  r.train.max_steps = 300;
  r.train.eval_interval = 300;
  r.train.eval_tokens = 1500;
  r.train.lr = 3e-3;
  const auto s = train(r);
  const auto vocab = load_model(r.run_dir, torch::kCPU).meta.model.vocab_size;
  const double optimum = data::synthetic_optimal_nll(data::synthetic_split_spec(r.data, "valid"));
  const double start = std::accumulate(s.losses.begin(), s.losses.begin() + 10, 0.0) / 10;
  const double end = std::accumulate(s.losses.end() - 10, s.losses.end(), 0.0) / 10;
  std::cout << "[ converge ] ln V " << std::log(static_cast<double>(vocab)) << ", first 10 steps " << start
            << ", last 10 " << end << ", valid " << s.valid.nll << ", optimum " << optimum << " nats/token\n";
  EXPECT_NEAR(s.losses.front(), std::log(static_cast<double>(vocab)), 0.5);
  EXPECT_LT(end, start - 0.5);
  // more than half of the way from ln V to the optimum, and not below it beyond noise
  EXPECT_LT(s.valid.nll, optimum + 0.5 * (std::log(static_cast<double>(vocab)) - optimum))
      << "optimum " << optimum << " nats/token";
  EXPECT_GT(s.valid.nll, optimum - 0.1);
}

}  // namespace
}  // namespace localist
