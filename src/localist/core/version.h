#pragma once
// What this build is: localist's version, the LibTorch it was compiled against, whether CUDA is
// compiled in and which GPUs this process sees. `localist --version` prints it; checkpoints
// record the LibTorch version that wrote them.
#include <string>

namespace localist {

inline constexpr const char* kVersion = "0.3.0";

std::string libtorch_version();  // e.g. "2.11.0"
std::string cuda_compiled();     // e.g. "13.0", "" when LibTorch has no CUDA
std::string version_report();    // the multi-line text of `localist --version`

}  // namespace localist
