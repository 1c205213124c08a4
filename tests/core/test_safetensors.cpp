#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "localist/core/errors.h"
#include "localist/core/safetensors.h"
#include "localist/core/temp_dir.h"

namespace localist {
namespace {

TEST(Safetensors, RoundTripsDtypesShapesAndMetadata) {
  TensorMap m = {{"a", torch::randn({3, 4})},
                 {"b.c", torch::arange(10, torch::kLong)},
                 {"d", torch::randn({2, 2}, torch::kDouble)},
                 {"e", torch::randn({5}).to(torch::kBFloat16)},
                 {"scalar", torch::tensor(7, torch::kLong)}};
  TempDir tmp;
  const auto path = tmp.file("rt.safetensors");
  save_safetensors(path, m, {{"k", "v"}});
  std::map<std::string, std::string> meta;
  auto back = load_safetensors(path, &meta);
  ASSERT_EQ(back.size(), m.size());
  for (const auto& [k, v] : m) {
    EXPECT_EQ(back[k].scalar_type(), v.scalar_type()) << k;
    EXPECT_TRUE(torch::equal(back[k], v)) << k;
  }
  EXPECT_EQ(meta["k"], "v");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(Safetensors, HeaderFollowsTheFormat) {
  TempDir tmp;
  const auto path = tmp.file("fmt.safetensors");
  save_safetensors(path, {{"w", torch::ones({2}, torch::kFloat)}});
  std::ifstream in(path, std::ios::binary);
  uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  std::string h(n, '\0');
  in.read(h.data(), n);
  EXPECT_EQ(n % 8, 0u);
  auto j = nlohmann::json::parse(h);
  EXPECT_EQ(j["w"]["dtype"], "F32");
  EXPECT_EQ(j["w"]["shape"], nlohmann::json::array({2}));
  EXPECT_EQ(j["w"]["data_offsets"], nlohmann::json::array({0, 8}));
}

TEST(Safetensors, TruncatedFileIsACheckpointError) {
  TempDir tmp;
  const auto path = tmp.file("trunc.safetensors");
  save_safetensors(path, {{"w", torch::randn({100})}});
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 40);
  EXPECT_THROW(load_safetensors(path), CheckpointError);
}

// A file from a raw header and data section; `declared` overrides the header length field.
std::string raw_file(const std::string& header, const std::string& data = "",
                     uint64_t declared = UINT64_MAX) {
  const uint64_t n = declared == UINT64_MAX ? header.size() : declared;
  std::string f(8, '\0');
  for (int i = 0; i < 8; ++i) f[i] = static_cast<char>(n >> (8 * i));
  return f + header + data;
}

struct Hostile {
  const char* what;
  std::string bytes;
  const char* error;  // a phrase the message must contain
};

// Every way a file from elsewhere can lie; each must be a CheckpointError naming the problem,
// raised before any tensor is allocated (sizes are checked against the bytes in the file).
std::vector<Hostile> hostile_files() {
  const std::string ok8(8, '\0');
  const std::string w = R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  return {
      {"empty file", "", "too short"},
      {"seven bytes", std::string(7, 'x'), "too short"},
      {"header length 2^63", raw_file("{}", "", uint64_t{1} << 63), "exceeds the limit"},
      {"header length past the end", raw_file("{}", "", 4096), "exceeds the file size"},
      {"header not JSON", raw_file("{\"w\": [1,", ok8), "not valid JSON"},
      {"header invalid UTF-8", raw_file("{\"w\xff\xfe\": 1}", ok8), "not valid JSON"},
      {"header not an object", raw_file("[1, 2, 3]", ok8), "not a JSON object"},
      {"entry not an object", raw_file(R"({"w": 5})", ok8), "expected an object"},
      {"entry missing data_offsets", raw_file(R"({"w":{"dtype":"F32","shape":[2]}})", ok8), "expected an object"},
      {"unknown dtype", raw_file(R"({"w":{"dtype":"F8","shape":[2],"data_offsets":[0,8]}})", ok8), "unsupported safetensors dtype"},
      {"dtype not a string", raw_file(R"({"w":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})", ok8), "dtype is not a string"},
      {"negative size", raw_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", ok8), "size >= 0"},
      {"fractional size", raw_file(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", ok8), "size >= 0"},
      {"shape not an array", raw_file(R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", ok8), "shape is not an array"},
      {"huge shape (10^12 floats)", raw_file(R"({"w":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,8]}})", ok8), "needs more bytes than the file holds"},
      {"shape overflowing int64", raw_file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})", ok8), "too large"},
      {"offsets past the end", raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", ok8), "outside the 8 data bytes"},
      {"offsets reversed", raw_file(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", ok8), "outside"},
      {"offsets negative", raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", ok8), "pair of byte offsets"},
      {"offsets not a pair", raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", ok8), "pair of byte offsets"},
      {"span differs from shape", raw_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}})", ok8), "needs 4"},
      {"overlapping tensors", raw_file("{" + w + R"(,"v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", ok8), "overlap"},
      {"truncated data", raw_file("{" + w + "}", "1234"), "truncated file?"},
      {"empty name", raw_file(R"({"":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", ok8), "empty name"},
      {"metadata not strings", raw_file("{" + w + R"(,"__metadata__":{"k":1}})", ok8), "is not a string"},
      {"metadata not an object", raw_file("{" + w + R"(,"__metadata__":[]})", ok8), "__metadata__ is not an object"},
  };
}

TEST(Safetensors, HostileFilesAreClearErrorsFromDiskAndMemory) {
  TempDir tmp;
  for (const auto& h : hostile_files()) {
    const auto path = tmp.write("hostile.safetensors", h.bytes);
    for (int from_memory = 0; from_memory < 2; ++from_memory) {
      try {
        if (from_memory) parse_safetensors(h.bytes, "bytes");
        else load_safetensors(path);
        ADD_FAILURE() << h.what << ": accepted";
      } catch (const CheckpointError& e) {
        EXPECT_NE(std::string(e.what()).find(h.error), std::string::npos)
            << h.what << ": '" << e.what() << "' lacks '" << h.error << "'";
      }
    }
  }
}

TEST(Safetensors, ValidEdgeCasesAreAccepted) {
  // zero-size tensors (which may share an offset), unsorted offsets, a hole, metadata only
  const std::string data(12, '\1');
  const auto m = parse_safetensors(raw_file(
      R"({"b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
      R"("z":{"dtype":"I64","shape":[0,3],"data_offsets":[4,4]},"y":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})", data), "edge");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m.at("b").sizes(), torch::IntArrayRef({4}));
  EXPECT_EQ(m.at("z").numel(), 0);
  EXPECT_TRUE(parse_safetensors(raw_file(R"({"__metadata__":{"k":"v"}})"), "meta").empty());
}

TEST(Safetensors, IndexReadsOnlyTheHeader) {
  TempDir tmp;
  const auto path = tmp.file("i.safetensors");
  save_safetensors(path, {{"a", torch::randn({3, 4})}, {"b", torch::zeros({5}, torch::kLong)}}, {{"k", "v"}});
  const auto index = read_safetensors_index(path);
  EXPECT_EQ(index.elements(), 17);
  ASSERT_EQ(index.tensors.size(), 2u);
  EXPECT_EQ(index.metadata.at("k"), "v");
}

TEST(Safetensors, MissingFileIsAPathError) {
  EXPECT_THROW(load_safetensors("/nonexistent/x.safetensors"), PathError);
}

}  // namespace
}  // namespace localist
