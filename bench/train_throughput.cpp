// Training throughput of the localist GPT on random tokens: forward (with the locality dial's
// bias active unless --lambda 0; bf16 autocast with --bf16 1), backward, gradient clip and AdamW,
// timed after warm-up.
// Prints one JSON line; bench/train_throughput.sh runs it beside the same model in Python
// PyTorch (bench/peer_gpt.py, eager and torch.compile) and prints the ratios.
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "localist/core/autocast.h"
#include "localist/core/device.h"
#include "localist/core/progress.h"
#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"
#include "localist/train/adamw.h"
#include "localist/train/gradient_clip.h"

#include <torch/csrc/autograd/profiler_kineto.h>

using namespace localist;

int main(int argc, char** argv) {
  ModelConfig c;
  c.vocab_size = 2048;
  c.n_layer = 2;
  c.n_head = 4;
  c.n_embd = 128;
  c.context_length = 128;
  int64_t batch = 16, steps = 20, warmup = 3, threads = 0, window = 16, bf16 = 0;
  Dial dial{1.0, 10.0, 0.0};  // window blocks, lambda 1, kappa 10 nats: the bias is a real mask
  std::string device_spec = "cpu";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    int64_t v = std::atoll(argv[i + 1]);
    if (k == "--vocab") c.vocab_size = v;
    else if (k == "--n-layer") c.n_layer = v;
    else if (k == "--n-head") c.n_head = v;
    else if (k == "--n-embd") c.n_embd = v;
    else if (k == "--block-size") c.context_length = v;
    else if (k == "--batch") batch = v;
    else if (k == "--steps") steps = v;
    else if (k == "--warmup") warmup = v;
    else if (k == "--threads") threads = v;
    else if (k == "--window") window = v;
    else if (k == "--bf16") bf16 = v;
    else if (k == "--lambda") dial.lambda = std::atof(argv[i + 1]);
    else if (k == "--device") device_spec = argv[i + 1];
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  set_threads(threads);
  const auto device = resolve_device(device_spec);
  torch::manual_seed(0);
  Gpt model(c);
  model->to(device);
  model->train();
  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& p : model->named_parameters()) named.emplace_back(p.key(), p.value());
  AdamW opt(named, {1e-3, 0.9, 0.99, 1e-8, 0.1});
  auto params = model->parameters();
  const auto blocks = BlockMap::window(window);
  auto x_host = torch::randint(0, c.vocab_size, {batch, c.context_length}, torch::kLong);
  auto x = x_host.to(device);
  auto y = torch::randint(0, c.vocab_size, {batch, c.context_length}, torch::kLong).to(device);
  auto step = [&] {
    opt.zero_grad();
    // the bias is rebuilt every step, as training does (segment and vocab layouts follow the
    // tokens), from the batch's host copy as the trainer does: no device-to-host sync
    auto bias = dial.active() ? dial_biases(blocks.layout(x_host, device), dial, c.n_layer) : std::vector<torch::Tensor>{};
    torch::Tensor loss;
    {
      Bf16Autocast autocast(device, bf16 != 0);  // fp32 master weights, bf16 matmuls
      loss = GptImpl::loss(model->forward(x, false, bias).logits, y);
    }
    loss.backward();
    clip_gradients(params, gradient_norm(params), 1.0);  // the trainer's clipping
    opt.step();
    return loss;
  };
  for (int64_t i = 0; i < warmup; ++i) step().item<double>();
  Stopwatch sw;
  torch::Tensor last;
  for (int64_t i = 0; i < steps; ++i) last = step();
  last.item<double>();  // waits for the device
  const double s = sw.seconds();
  if (const char* trace = std::getenv("LOCALIST_PROFILE")) {  // 3 more steps under Kineto
    namespace prof = torch::autograd::profiler;
    const prof::ProfilerConfig config(prof::ProfilerState::KINETO);
    const std::set<torch::profiler::impl::ActivityType> what{torch::profiler::impl::ActivityType::CPU,
                                                             torch::profiler::impl::ActivityType::CUDA};
    prof::prepareProfiler(config, what);
    prof::enableProfiler(config, what);
    for (int i = 0; i < 3; ++i) last = step();
    last.item<double>();
    prof::disableProfiler()->save(trace);  // a Chrome trace: bench/profile_summary.py reads it
  }
  const double tok_s = steps * batch * c.context_length / s;
  std::printf("{\"impl\": \"localist C++\", \"tokens_per_s\": %.1f, \"ms_per_step\": %.3f, "
              "\"params\": %lld, \"gflop_per_s\": %.2f, \"lambda\": %g, \"bf16\": %d, \"device\": \"%s\", \"threads\": %d}\n",
              tok_s, 1000 * s / steps, static_cast<long long>(model->num_params()),
              tok_s * model->flops_per_token() / 1e9, dial.lambda, static_cast<int>(bf16), describe_device(device).c_str(),
              torch::get_num_threads());
  return 0;
}
