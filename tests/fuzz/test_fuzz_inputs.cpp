// The fuzz targets (fuzz/fuzz_targets.h) in the ordinary suite, so CI needs no clang: every
// seed in fuzz/corpus/ and every input a fuzzing run found a bug with (fuzz/regressions/) must
// be accepted or refused with a clear error; so must systematic damage to the seeds (every
// truncation, bytes overwritten) and JSON nested far deeper than any real file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz_targets.h"
#include "localist/core/errors.h"
#include "localist/core/json_text.h"

namespace fs = std::filesystem;

namespace localist {
namespace {

std::vector<std::string> inputs(const std::string& kind, const std::string& target) {
  std::vector<std::string> out;
  const fs::path dir = fs::path(LOCALIST_SOURCE_DIR) / "fuzz" / kind / target;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  return out;
}

TEST(FuzzInputs, EverySeedAndRegressionInputIsHandled) {
  for (const auto& t : fuzz::targets()) {
    const auto seeds = inputs("corpus", t.name);
    EXPECT_FALSE(seeds.empty()) << "no seeds for " << t.name;
    // the seeds are valid files: a reader refusing one of them is broken
    for (const auto& bytes : seeds) {
      bool accepted = false;
      EXPECT_NO_THROW(accepted = t.run(bytes)) << t.name;
      EXPECT_TRUE(accepted) << t.name << " refused a valid seed of " << bytes.size() << " bytes";
    }
    for (const auto& bytes : inputs("regressions", t.name)) EXPECT_NO_THROW(t.run(bytes)) << t.name;
  }
}

// ... and the readers do refuse what is not a valid file, with a UserError (run returns false).
TEST(FuzzInputs, InvalidInputsAreRefused) {
  for (const auto& t : fuzz::targets()) {
    for (const std::string& bytes : {std::string(), std::string("{\"not\": [1, 2"), std::string("\x01\xff\xfe")}) {
      bool accepted = true;
      EXPECT_NO_THROW(accepted = t.run(bytes)) << t.name;
      if (std::string(t.name) != "tokenizers") {  // any text trains a tokenizer
        EXPECT_FALSE(accepted) << t.name << " accepted an invalid input of " << bytes.size() << " bytes";
      }
    }
  }
  EXPECT_FALSE(fuzz::tokenizers(""));  // not even the selector byte
}

// A deterministic, clang-free slice of what the fuzzer does: each seed cut at every length and
// with each byte overwritten by 0x00, 0xff and '9'.
TEST(FuzzInputs, DamagedSeedsAreHandled) {
  int64_t cases = 0;
  for (const auto& t : fuzz::targets()) {
    for (const auto& seed : inputs("corpus", t.name)) {
      const size_t n = std::min<size_t>(seed.size(), 400);
      for (size_t len = 0; len < n; ++len, ++cases) EXPECT_NO_THROW(t.run(seed.substr(0, len))) << t.name;
      for (size_t i = 0; i < n; ++i)
        for (char c : {'\0', '\xff', '9'}) {
          std::string damaged = seed;
          damaged[i] = c;
          ++cases;
          EXPECT_NO_THROW(t.run(damaged)) << t.name << " byte " << i;
        }
    }
  }
  std::cout << "[ damaged ] " << cases << " damaged seed inputs\n";
}

TEST(FuzzInputs, DeeplyNestedJsonIsRefusedNotRecursedInto) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  std::string error;
  size_t byte = 0;
  EXPECT_TRUE(parse_json_text(deep, &error, &byte).is_discarded());
  EXPECT_NE(error.find("nested more than"), std::string::npos);
  EXPECT_EQ(byte, static_cast<size_t>(kMaxJsonDepth));
  EXPECT_FALSE(parse_json_text("{\"a\": [\"[[[[\", {\"b\": 1}]}", &error).is_discarded());  // brackets in strings
  const std::string deep_object = "{\"blocks\": " + deep + "}";
  for (const auto& t : fuzz::targets()) EXPECT_NO_THROW(t.run(deep_object)) << t.name;
}

}  // namespace
}  // namespace localist
