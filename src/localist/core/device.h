#pragma once
// Choosing where to run: "auto" picks CUDA when LibTorch was built with it and a GPU is
// present, else the CPU. Also the peak throughput used for MFU.
#include <string>

#include <torch/torch.h>

namespace localist {

torch::Device resolve_device(const std::string& spec);  // auto | cpu | cuda | cuda:N
std::string describe_device(const torch::Device& d);    // e.g. "cuda:0 (NVIDIA H100 80GB HBM3)"
// Dense bf16 tensor-core peak in FLOP/s for known GPUs, 0 when unknown (MFU then not shown).
double peak_flops_for(const torch::Device& d);
// Intra-op threads: n > 0 as given; 0 = LibTorch's default (OMP_NUM_THREADS, else one per
// core), the fastest measured (docs/cpu.md).
void set_threads(int64_t n);

}  // namespace localist
