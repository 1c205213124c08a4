#include "localist/core/safetensors.h"

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "localist/core/atomic_file.h"
#include "localist/core/errors.h"

namespace localist {
namespace {

struct DtypeName {
  torch::ScalarType type;
  const char* name;
};
constexpr DtypeName kDtypes[] = {
    {torch::kFloat32, "F32"}, {torch::kFloat64, "F64"}, {torch::kBFloat16, "BF16"},
    {torch::kFloat16, "F16"}, {torch::kInt64, "I64"},   {torch::kInt32, "I32"},
    {torch::kUInt8, "U8"},
};

const char* dtype_name(torch::ScalarType t, const std::string& tensor) {
  for (const auto& d : kDtypes)
    if (d.type == t) return d.name;
  throw CheckpointError("safetensors: tensor '" + tensor + "' has unsupported dtype " +
                        std::string(c10::toString(t)));
}

torch::ScalarType dtype_from(const std::string& name, const std::string& path) {
  for (const auto& d : kDtypes)
    if (name == d.name) return d.type;
  throw CheckpointError(path + ": unsupported safetensors dtype '" + name + "'");
}

}  // namespace

void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> cpu;
  int64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    auto c = t.detach().to(torch::kCPU).contiguous();
    const int64_t bytes = c.numel() * static_cast<int64_t>(c.element_size());
    header[name] = {{"dtype", dtype_name(c.scalar_type(), name)},
                    {"shape", c.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    cpu.push_back(c);
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // the format pads the header to 8 bytes
  write_file_atomically(path, [&](std::ostream& out) {
    uint64_t n = h.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(h.data(), static_cast<std::streamsize>(h.size()));
    for (const auto& c : cpu)
      out.write(static_cast<const char*>(c.data_ptr()),
                static_cast<std::streamsize>(c.numel() * c.element_size()));
  });
}

TensorMap load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PathError("cannot open '" + path + "' (expected a safetensors file)");
  in.seekg(0, std::ios::end);
  const int64_t file_size = in.tellg();
  in.seekg(0);
  unsigned char len[8];
  if (file_size < 8 || !in.read(reinterpret_cast<char*>(len), 8))
    throw CheckpointError(path + ": too short to be a safetensors file");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(len[i]) << (8 * i);
  if (n > static_cast<uint64_t>(file_size - 8))
    throw CheckpointError(path + ": header length " + std::to_string(n) + " exceeds file size");
  std::string h(n, '\0');
  in.read(h.data(), static_cast<std::streamsize>(n));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(h);
  } catch (const std::exception& e) {
    throw CheckpointError(path + ": header is not valid JSON (" + e.what() + ")");
  }
  const int64_t data_size = file_size - 8 - static_cast<int64_t>(n);
  std::string data(static_cast<size_t>(data_size), '\0');
  in.read(data.data(), data_size);
  TensorMap out;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (metadata) *metadata = info.get<std::map<std::string, std::string>>();
      continue;
    }
    try {
      auto type = dtype_from(info.at("dtype").get<std::string>(), path);
      auto shape = info.at("shape").get<std::vector<int64_t>>();
      auto offs = info.at("data_offsets").get<std::vector<int64_t>>();
      auto t = torch::empty(shape, torch::TensorOptions().dtype(type));
      const int64_t bytes = t.numel() * static_cast<int64_t>(t.element_size());
      if (offs.size() != 2 || offs[0] < 0 || offs[1] - offs[0] != bytes || offs[1] > data_size)
        throw CheckpointError(path + ": tensor '" + name + "' has data_offsets inconsistent " +
                              "with its shape or the file size (truncated file?)");
      std::memcpy(t.data_ptr(), data.data() + offs[0], static_cast<size_t>(bytes));
      out[name] = t;
    } catch (const nlohmann::json::exception& e) {
      throw CheckpointError(path + ": tensor '" + name + "' entry is malformed (" + e.what() +
                            ")");
    }
  }
  return out;
}

}  // namespace localist
