#include "localist/core/version.h"

#include <sstream>

#include <torch/cuda.h>
#include <torch/version.h>

#include "localist/core/device.h"

#ifdef LOCALIST_CUDA
#include <cuda_runtime_api.h>
#endif

namespace localist {

std::string libtorch_version() { return TORCH_VERSION; }

std::string cuda_compiled() {
#ifdef LOCALIST_CUDA
  return std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 1000 / 10);
#else
  return "";
#endif
}

std::string version_report() {
  std::ostringstream o;
  o << "localist " << kVersion << "\n"
    << "LibTorch " << libtorch_version() << "\n"
    << "CUDA compiled in: " << (cuda_compiled().empty() ? "no" : "yes, CUDA " + cuda_compiled()) << "\n";
  const int n = torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  o << "GPUs visible: " << n;
  for (int i = 0; i < n; ++i) o << "\n  " << describe_device(torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(i)));
  return o.str();
}

}  // namespace localist
