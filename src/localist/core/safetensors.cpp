#include "localist/core/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "localist/core/atomic_file.h"
#include "localist/core/errors.h"
#include "localist/core/json_text.h"

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

namespace {

// Header and data of a safetensors file, written to `out` (tensors streamed, not copied whole).
void write_safetensors(std::ostream& out, const TensorMap& tensors,
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
  uint64_t n = h.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  for (const auto& c : cpu)
    out.write(static_cast<const char*>(c.data_ptr()),
              static_cast<std::streamsize>(c.numel() * c.element_size()));
}

}  // namespace

void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata) {
  write_file_atomically(path, [&](std::ostream& out) { write_safetensors(out, tensors, metadata); });
}

std::string safetensors_bytes(const TensorMap& tensors, const std::map<std::string, std::string>& metadata) {
  std::ostringstream out;
  write_safetensors(out, tensors, metadata);
  return out.str();
}

int64_t SafetensorsIndex::elements() const {
  int64_t n = 0;
  for (const auto& t : tensors) {
    int64_t e = 1;
    for (int64_t d : t.shape) e *= d;  // bounded: validated against the file's bytes
    n += e;
  }
  return n;
}

SafetensorsIndex parse_safetensors_header(std::string_view prefix, uint64_t file_size,
                                          const std::string& what) {
  const auto fail = [&](const std::string& problem) { throw CheckpointError(what + ": " + problem); };
  if (file_size < 8 || prefix.size() < 8)
    fail("too short to be a safetensors file (" + std::to_string(file_size) + " bytes)");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(prefix[i])) << (8 * i);
  if (n > kMaxSafetensorsHeader)
    fail("header length " + std::to_string(n) + " exceeds the limit of " +
         std::to_string(kMaxSafetensorsHeader) + " bytes (not a safetensors file?)");
  if (n > file_size - 8)
    fail("header length " + std::to_string(n) + " exceeds the file size " +
         std::to_string(file_size) + " (truncated file?)");
  if (prefix.size() < 8 + n) fail("header incomplete (" + std::to_string(prefix.size()) + " bytes given)");
  std::string error;
  const auto header = parse_json_text(prefix.substr(8, n), &error);
  if (header.is_discarded()) fail("header is not valid JSON/UTF-8 (" + error + ")");
  if (!header.is_object()) fail("header is not a JSON object");

  SafetensorsIndex index;
  index.data_start = 8 + n;
  const uint64_t data_size = file_size - index.data_start;
  for (const auto& item : header.items()) {
    const std::string name = item.key();  // not a structured binding: lambdas below capture it
    const auto& info = item.value();
    if (name == "__metadata__") {
      if (!info.is_object()) fail("__metadata__ is not an object of strings");
      for (const auto& [k, v] : info.items()) {
        if (!v.is_string()) fail("__metadata__ entry '" + k + "' is not a string");
        index.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    const auto bad = [&](const std::string& problem) { fail("tensor '" + name + "': " + problem); };
    if (name.empty()) fail("a tensor has an empty name");
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
        !info.contains("data_offsets"))
      bad("expected an object with dtype, shape and data_offsets");
    SafetensorsEntry e;
    e.name = name;
    const auto& dt = info["dtype"];
    if (!dt.is_string()) bad("dtype is not a string");
    e.dtype = dtype_from(dt.get<std::string>(), what);
    const auto& shape = info["shape"];
    if (!shape.is_array() || shape.size() > 64) bad("shape is not an array of at most 64 sizes");
    uint64_t numel = 1;
    for (const auto& d : shape) {
      if (!d.is_number_unsigned()) bad("shape " + shape.dump() + " holds something other than a size >= 0");
      const uint64_t v = d.get<uint64_t>();
      if (v > static_cast<uint64_t>(INT64_MAX)) bad("shape " + shape.dump() + " is too large");
      if (v != 0 && numel > static_cast<uint64_t>(INT64_MAX) / v) bad("shape " + shape.dump() + " is too large");
      numel *= v;
      e.shape.push_back(static_cast<int64_t>(v));
    }
    const auto& offs = info["data_offsets"];
    if (!offs.is_array() || offs.size() != 2 || !offs[0].is_number_unsigned() ||
        !offs[1].is_number_unsigned())
      bad("data_offsets is not a pair of byte offsets >= 0");
    e.begin = offs[0].get<uint64_t>();
    e.end = offs[1].get<uint64_t>();
    const uint64_t elem = c10::elementSize(e.dtype);
    if (numel > data_size / elem)  // also keeps numel * elem from overflowing
      bad("shape " + shape.dump() + " needs more bytes than the file holds (truncated file?)");
    if (e.begin > e.end || e.end > data_size)
      bad("data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
          "] lie outside the " + std::to_string(data_size) + " data bytes (truncated file?)");
    if (e.end - e.begin != numel * elem)
      bad("data_offsets span " + std::to_string(e.end - e.begin) + " bytes, but shape " +
          shape.dump() + " of " + dt.get<std::string>() + " needs " + std::to_string(numel * elem));
    index.tensors.push_back(std::move(e));
  }
  std::vector<const SafetensorsEntry*> by_offset;
  for (const auto& e : index.tensors) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const auto* a, const auto* b) { return a->begin < b->begin || (a->begin == b->begin && a->end < b->end); });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      fail("tensors '" + by_offset[i - 1]->name + "' and '" + by_offset[i]->name +
           "' overlap in the file");
  return index;
}

namespace {

// Allocates each tensor (its size is bounded by the file's bytes) and fills it from `read`.
TensorMap materialise(const SafetensorsIndex& index,
                      const std::function<void(uint64_t, uint64_t, void*)>& read,
                      std::map<std::string, std::string>* metadata) {
  TensorMap out;
  for (const auto& e : index.tensors) {
    auto t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype));
    if (e.end > e.begin) read(index.data_start + e.begin, e.end - e.begin, t.data_ptr());
    out[e.name] = t;
  }
  if (metadata) *metadata = index.metadata;
  return out;
}

uint64_t file_size_of(const std::string& path, std::ifstream& in) {
  if (!in) throw PathError("cannot open '" + path + "' (expected a safetensors file)");
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  in.seekg(0);
  if (size < 0) throw PathError("cannot read '" + path + "'");
  return static_cast<uint64_t>(size);
}

std::string read_header_bytes(const std::string& path, std::ifstream& in, uint64_t file_size) {
  std::string prefix(std::min<uint64_t>(file_size, 8), '\0');
  in.read(prefix.data(), static_cast<std::streamsize>(prefix.size()));
  if (prefix.size() == 8) {
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(prefix[i])) << (8 * i);
    if (n <= kMaxSafetensorsHeader && n <= file_size - 8) {  // else the parser names the problem
      prefix.resize(8 + n);
      in.read(prefix.data() + 8, static_cast<std::streamsize>(n));
    }
  }
  if (!in) throw PathError("reading '" + path + "' failed");
  return prefix;
}

}  // namespace

SafetensorsIndex read_safetensors_index(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const uint64_t size = file_size_of(path, in);
  return parse_safetensors_header(read_header_bytes(path, in, size), size, path);
}

TensorMap load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  std::ifstream in(path, std::ios::binary);
  const uint64_t size = file_size_of(path, in);
  const auto index = parse_safetensors_header(read_header_bytes(path, in, size), size, path);
  return materialise(index, [&](uint64_t at, uint64_t n, void* dst) {
    in.seekg(static_cast<std::streamoff>(at));
    if (!in.read(static_cast<char*>(dst), static_cast<std::streamsize>(n)))
      throw CheckpointError(path + ": reading " + std::to_string(n) + " bytes at " +
                            std::to_string(at) + " failed (file changed while reading?)");
  }, metadata);
}

TensorMap parse_safetensors(std::string_view bytes, const std::string& what,
                            std::map<std::string, std::string>* metadata) {
  const auto index = parse_safetensors_header(bytes, bytes.size(), what);
  return materialise(index, [&](uint64_t at, uint64_t n, void* dst) {
    std::memcpy(dst, bytes.data() + at, n);  // inside `bytes`: checked by the parser
  }, metadata);
}

}  // namespace localist
