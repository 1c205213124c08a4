// scripts/check_layers.sh: the source tree's folders include each other one way only, and the
// check does fail when a folder includes a later layer (run on a scratch tree holding a copy of
// the script, so the real tree is never touched).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_run.h"
#include "localist/core/temp_dir.h"

namespace localist {
namespace {

namespace fs = std::filesystem;
using testing::run_shell;

TEST(CheckLayers, TheSourceTreeHasNoUpwardInclude) {
  const auto r = run_shell("/bin/bash " + std::string(LOCALIST_SOURCE_DIR) + "/scripts/check_layers.sh");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("train -> model"), std::string::npos) << r.output;  // it printed the graph
  EXPECT_NE(r.output.find("no upward include, no cycle"), std::string::npos) << r.output;
}

// A scratch tree: the script, and one file per (folder, included folder) pair.
std::string scratch_tree(const TempDir& dir, const std::vector<std::pair<std::string, std::string>>& edges) {
  const fs::path root = dir.file("tree");
  fs::create_directories(root / "scripts");
  fs::copy_file(fs::path(LOCALIST_SOURCE_DIR) / "scripts/check_layers.sh", root / "scripts/check_layers.sh");
  for (const auto& [from, to] : edges) {
    fs::create_directories(root / "src/localist" / from);
    fs::create_directories(root / "src/localist" / to);
    std::ofstream(root / "src/localist" / from / ("uses_" + to + ".h"))
        << "#pragma once\n#include \"localist/" << to << "/x.h\"\n";
  }
  return root.string();
}

TEST(CheckLayers, AnUpwardIncludeFailsNamingTheFile) {
  TempDir dir("localist_layers");
  const auto root = scratch_tree(dir, {{"model", "core"}, {"core", "train"}});
  const auto r = run_shell("/bin/bash " + root + "/scripts/check_layers.sh");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("core/uses_train.h (core) includes train, a later layer"),  // refcheck: skip
            std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("model/uses_core.h"), std::string::npos) << r.output;  // downward is fine (refcheck: skip)
}

TEST(CheckLayers, AFolderOutsideTheLayersFails) {
  TempDir dir("localist_layers");
  const auto root = scratch_tree(dir, {{"gadgets", "core"}});
  const auto r = run_shell("/bin/bash " + root + "/scripts/check_layers.sh");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("src/localist/gadgets is not in LAYERS"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace localist
