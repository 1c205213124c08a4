#pragma once
// safetensors (https://huggingface.co/docs/safetensors): 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then the raw
// bytes. Written here so a checkpoint opens in Python with the standard `safetensors` package.
#include <map>
#include <string>

#include <torch/torch.h>

namespace localist {

using TensorMap = std::map<std::string, torch::Tensor>;

// Writes atomically (PATH.tmp, then rename) so an interrupted save never leaves a half file.
// Tensors are copied to CPU and made contiguous; dtypes F32, F64, BF16, F16, I64, I32, U8.
void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Throws PathError if missing, CheckpointError if the header or sizes are inconsistent.
TensorMap load_safetensors(const std::string& path,
                           std::map<std::string, std::string>* metadata = nullptr);

}  // namespace localist
