#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

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

TEST(Safetensors, MissingFileIsAPathError) {
  EXPECT_THROW(load_safetensors("/nonexistent/x.safetensors"), PathError);
}

}  // namespace
}  // namespace localist
