// Attention alone, with the locality dial (window blocks, lambda, kappa 10 nats), one layer's
// worth of heads: forward + backward time and peak memory of
//   flash     flash-style localist attention (model/flash_attention.h): block ids, no T x T
//   sdpa      scaled_dot_product_attention, causal, no dial (the floor: FlashAttention on GPUs)
//   sdpa_bias scaled_dot_product_attention with the dial as a (B, 1, T, T) additive mask
//   dense     the materialised softmax (what metrics and explain read before flash)
// and, with --metrics 1, forward only plus the metrics (entropy, block and anchor mass): flash
// gets them from its own pass, dense from its (B, H, T, T) probabilities.
// Prints one JSON line. Usage:
//   bench_flash_attention --mode flash|sdpa|sdpa_bias|dense [--device cuda] [--bf16 1]
//       [--batch 4] [--heads 12] [--T 4096] [--head-dim 64] [--window 64] [--reps 10] [--metrics 0|1]
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "localist/blocks/block_map.h"
#include "localist/core/device.h"
#include "localist/core/progress.h"
#include "localist/model/attention.h"
#include "localist/model/dial.h"
#include "localist/model/flash_attention.h"

#ifdef LOCALIST_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

using namespace localist;

namespace {

struct Options {
  std::string mode = "flash", device = "cpu";
  int64_t batch = 1, heads = 2, T = 1024, head_dim = 64, window = 64, reps = 3, bf16 = 0, metrics = 0;
  double lambda = 1.0;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--mode") o.mode = v;
    else if (k == "--device") o.device = v;
    else if (k == "--batch") o.batch = std::atoll(v.c_str());
    else if (k == "--heads") o.heads = std::atoll(v.c_str());
    else if (k == "--T") o.T = std::atoll(v.c_str());
    else if (k == "--head-dim") o.head_dim = std::atoll(v.c_str());
    else if (k == "--window") o.window = std::atoll(v.c_str());
    else if (k == "--reps") o.reps = std::atoll(v.c_str());
    else if (k == "--bf16") o.bf16 = std::atoll(v.c_str());
    else if (k == "--metrics") o.metrics = std::atoll(v.c_str());
    else if (k == "--lambda") o.lambda = std::atof(v.c_str());
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); std::exit(2); }
  }
  return o;
}

void synchronize(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize();
}

double peak_bytes(const torch::Device& d) {
#ifdef LOCALIST_CUDA
  if (d.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(d.index() < 0 ? 0 : d.index());
    return static_cast<double>(stats.allocated_bytes[0].peak);
  }
#endif
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return 1024.0 * static_cast<double>(u.ru_maxrss);  // the process's peak resident set
}

}  // namespace

int main(int argc, char** argv) {
  const auto o = parse(argc, argv);
  const auto device = resolve_device(o.device);
  const auto type = o.bf16 ? torch::kBFloat16 : torch::kFloat;
  const double scale = 1.0 / std::sqrt(static_cast<double>(o.head_dim));
  torch::manual_seed(0);
  const auto opts = torch::TensorOptions().device(device).dtype(type);
  auto q = torch::randn({o.batch, o.heads, o.T, o.head_dim}, opts).requires_grad_(!o.metrics);
  auto k = torch::randn_like(q).requires_grad_(!o.metrics), v = torch::randn_like(q).requires_grad_(!o.metrics);
  auto dy = torch::randn_like(q);
  const auto layout = BlockMap::window(o.window).layout(torch::zeros({o.batch, o.T}, torch::kLong), device);
  const Dial dial{o.lambda, 10.0, 0.0};
  const auto flash_bias = block_bias(layout, o.lambda, 10.0);
  const double before = peak_bytes(device);
  double checksum = 0;
  auto once = [&] {
    torch::Tensor y;
    if (o.mode == "flash") {
      if (o.metrics) {
        auto f = flash_attention(q, k, v, flash_bias, scale);
        checksum = (f.entropy_bits.sum() + f.target_mass.sum()).item<double>();
        return;
      }
      y = flash_attention_autograd(q, k, v, flash_bias, scale);
    } else if (o.mode == "sdpa") {
      y = at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true, scale);
    } else if (o.mode == "sdpa_bias") {  // what CausalSelfAttention's fused path does with the dial
      auto future = torch::ones({o.T, o.T}, opts.dtype(torch::kBool)).triu(1);
      auto mask = dial_bias(layout, dial).masked_fill(future, -INFINITY).to(type);
      y = at::scaled_dot_product_attention(q, k, v, mask, 0.0, false, scale);
    } else if (o.mode == "dense") {
      auto a = attend_causal(q, k, v, scale, 0.0, dial_bias(layout, dial).to(type));
      if (o.metrics) {
        auto p = a.probs.to(torch::kFloat);
        auto in_target = target_keys(layout).unsqueeze(1);
        auto bits = -torch::where(p > 0, p * torch::log2(p), torch::zeros_like(p)).sum(-1);
        checksum = (bits.sum() + (p * in_target).sum()).item<double>();
        return;
      }
      y = a.y;
    } else {
      std::fprintf(stderr, "unknown mode %s\n", o.mode.c_str());
      std::exit(2);
    }
    y.backward(dy);
  };
  once();  // warm-up (kernel selection, allocator)
  synchronize(device);
  Stopwatch sw;
  for (int64_t i = 0; i < o.reps; ++i) once();
  synchronize(device);
  const double ms = 1000 * sw.seconds() / static_cast<double>(o.reps);
  // causal attention FLOPs: fwd 2 matmuls, bwd 5 (over the T(T+1)/2 visible pairs)
  const double pairs = static_cast<double>(o.batch * o.heads) * o.T * (o.T + 1) / 2.0;
  const double flops = pairs * o.head_dim * 2.0 * (o.metrics ? 2 : 7);
  std::printf("{\"mode\": \"%s\", \"metrics\": %d, \"device\": \"%s\", \"dtype\": \"%s\", \"batch\": %lld, "
              "\"heads\": %lld, \"T\": %lld, \"head_dim\": %lld, \"ms\": %.3f, \"tflop_per_s\": %.4g, "
              "\"peak_mib\": %.1f, \"peak_before_mib\": %.1f, \"checksum\": %.6g}\n",
              o.mode.c_str(), static_cast<int>(o.metrics), describe_device(device).c_str(), o.bf16 ? "bf16" : "fp32",
              static_cast<long long>(o.batch), static_cast<long long>(o.heads), static_cast<long long>(o.T),
              static_cast<long long>(o.head_dim), ms, flops / (ms / 1000) / 1e12, peak_bytes(device) / (1 << 20),
              before / (1 << 20), checksum);
  return 0;
}
