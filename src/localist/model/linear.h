#pragma once
// y = x W^T + b through ATen's linear, for every Linear of the model. LibTorch's
// torch::nn::Linear (and torch::nn::functional::linear) runs a (B, T, C) input as matmul then
// a separate `+= bias`: an extra pass over every activation, in mixed dtypes under bf16
// autocast; at::linear folds (B, T) and lets cuBLASLt add the bias in the GEMM's epilogue, as
// Python's F.linear does (a GPT-2-small training step: 48 such kernels, about 6 ms on an H200;
// docs/gpu.md).
#include <torch/torch.h>

namespace localist {

// (raw weights: call at::linear(x, weight, bias) directly)
inline torch::Tensor fused_linear(const torch::nn::Linear& l, const torch::Tensor& x) {
  return at::linear(x, l->weight, l->bias.defined() ? c10::optional<torch::Tensor>(l->bias) : c10::nullopt);
}

}  // namespace localist
