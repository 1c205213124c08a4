#pragma once
// safetensors (https://huggingface.co/docs/safetensors): 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then the raw
// bytes. Written here so a checkpoint opens in Python with the standard `safetensors` package.
//
// Files may come from anyone, so reading is two steps: the header is parsed and checked in
// full (length limit, JSON and UTF-8, dtypes, shape x dtype size = byte range, ranges inside
// the file and not overlapping) before a single tensor is allocated; every allocation is then
// bounded by the bytes actually in the file.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <torch/torch.h>

namespace localist {

using TensorMap = std::map<std::string, torch::Tensor>;

// The reference implementation's limit on the JSON header.
constexpr uint64_t kMaxSafetensorsHeader = 100'000'000;

struct SafetensorsEntry {
  std::string name;
  torch::ScalarType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range in the data section (after the header)
};

struct SafetensorsIndex {
  std::vector<SafetensorsEntry> tensors;  // in file order
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;  // 8 + header length
  int64_t elements() const;
};

// Writes atomically (PATH.tmp, then rename) so an interrupted save never leaves a half file.
// Tensors are copied to CPU and made contiguous; dtypes F32, F64, BF16, F16, I64, I32, U8.
void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// The same file's bytes, in memory (e.g. to send tensors to other processes).
std::string safetensors_bytes(const TensorMap& tensors,
                              const std::map<std::string, std::string>& metadata = {});

// Validates the header of a file of `file_size` bytes whose first bytes are `prefix` (at least
// the 8-byte length and the header itself, when the file has them). `what` names the file in
// errors. Throws CheckpointError naming the problem.
SafetensorsIndex parse_safetensors_header(std::string_view prefix, uint64_t file_size,
                                          const std::string& what);

// Reads only the header of PATH. Throws PathError if missing, CheckpointError if invalid.
SafetensorsIndex read_safetensors_index(const std::string& path);

// Throws PathError if missing, CheckpointError if the header or sizes are inconsistent.
TensorMap load_safetensors(const std::string& path,
                           std::map<std::string, std::string>* metadata = nullptr);

// The same from bytes in memory (a whole file).
TensorMap parse_safetensors(std::string_view bytes, const std::string& what,
                            std::map<std::string, std::string>* metadata = nullptr);

}  // namespace localist
