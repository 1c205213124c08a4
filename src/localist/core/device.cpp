#include "localist/core/device.h"

#include <torch/cuda.h>

#include "localist/core/errors.h"

#ifdef LOCALIST_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace localist {

torch::Device resolve_device(const std::string& spec) {
  if (spec == "auto") return torch::cuda::is_available() ? torch::Device("cuda:0") : torch::kCPU;
  if (spec == "cpu") return torch::kCPU;
  if (spec.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw ConfigError("device '" + spec + "' requested but no CUDA device is available to " +
                        "this build; use " + setting("device") + " cpu or auto");
    torch::Device d(spec == "cuda" ? std::string("cuda:0") : spec);
    if (d.index() >= static_cast<int64_t>(torch::cuda::device_count()))
      throw ConfigError("device '" + spec + "': only " + std::to_string(torch::cuda::device_count()) +
                        " CUDA device(s)");
    return d;
  }
  throw ConfigError("device '" + spec + "' is not one of auto, cpu, cuda, cuda:N");
}

namespace {
std::string gpu_name(const torch::Device& d) {
#ifdef LOCALIST_CUDA
  return at::cuda::getDeviceProperties(d.index())->name;
#else
  (void)d;
  return "";
#endif
}
}  // namespace

std::string describe_device(const torch::Device& d) {
  if (d.is_cpu()) return "cpu (" + std::to_string(torch::get_num_threads()) + " threads)";
  auto name = gpu_name(d);
  return d.str() + (name.empty() ? "" : " (" + name + ")");
}

double peak_flops_for(const torch::Device& d) {
  if (d.is_cpu()) return 0;
  const auto name = gpu_name(d);
  if (name.find("H100") != std::string::npos) return 989.4e12;
  if (name.find("H200") != std::string::npos) return 989.4e12;
  if (name.find("A100") != std::string::npos) return 312e12;
  return 0;
}

void set_threads(int64_t n) {
  // 0 keeps LibTorch's own default (OMP_NUM_THREADS if set, else one per core): with the
  // wheel's MKL and OpenMP, two threads beat one on the 2-core machine at every size measured
  // (docs/cpu.md)
  if (n > 0) torch::set_num_threads(static_cast<int>(n));
}

}  // namespace localist
