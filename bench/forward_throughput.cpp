// Forward tokens/s of a saved run (e.g. an imported GPT-2) on random tokens, no grad, fp32,
// after one warm-up pass; prints one JSON line. bench/hf_gpt2.sh runs it beside transformers'
// forward on the same shapes (bench/hf_gpt2.py).
//   bench_forward_throughput RUN BATCH T REPEATS
#include <cstdio>
#include <cstdlib>

#include "localist/core/progress.h"
#include "localist/run/checkpoint.h"

using namespace localist;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: bench_forward_throughput RUN BATCH T REPEATS\n");
    return 2;
  }
  const int64_t batch = std::atoll(argv[2]), t = std::atoll(argv[3]), repeats = std::atoll(argv[4]);
  auto lm = load_model(argv[1], torch::kCPU);
  torch::NoGradGuard no_grad;
  const auto x = torch::randint(0, lm.meta.model.vocab_size, {batch, t}, torch::kLong);
  lm.model->forward(x);  // warm-up
  Stopwatch clock;
  for (int64_t i = 0; i < repeats; ++i) lm.model->forward(x);
  std::printf("{\"tokens_per_s\": %.1f}\n", static_cast<double>(batch * t * repeats) / clock.seconds());
  return 0;
}
