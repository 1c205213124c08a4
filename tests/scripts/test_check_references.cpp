// scripts/check_references.py: every path a comment or doc names exists, and the check does fail
// on a stale one (run on a scratch tree, so the real tree is never touched).
// refcheck: skip-file (the paths below are made up)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_run.h"
#include "localist/core/temp_dir.h"

namespace localist {
namespace {

namespace fs = std::filesystem;
using testing::run_shell;

const std::string kScript = std::string(LOCALIST_SOURCE_DIR) + "/scripts/check_references.py";

TEST(CheckReferences, TheSourceTreeNamesNoMissingFile) {
  const auto r = run_shell("python3 " + kScript + " " + LOCALIST_SOURCE_DIR);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("every referenced path exists"), std::string::npos) << r.output;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(CheckReferences, AStaleReferenceFailsNamingItsLine) {
  TempDir dir("localist_refs");
  const fs::path root = dir.file("tree");
  write(root / "src/localist/model/gpt.h", "#include <torch/torch.h>  // another project's header\n");
  write(root / "src/localist/model/gpt.cpp", "// the model (model/gpt.h), its cache (model/kv_cache.{h,cpp})\n");
  write(root / "scripts/here.sh", "\n");
  write(root / "docs/a.md", "See `docs/a.md`, `scripts/here.sh` and `src/localist/model/gpt.h`.\n"
                            "A run writes `checkpoint/checkpoint.json`; moved: `scripts/gone.sh`.\n");
  const auto r = run_shell("python3 " + kScript + " " + root.string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("docs/a.md:2: scripts/gone.sh"), std::string::npos) << r.output;
  // braces expand, and only the missing member is named
  EXPECT_NE(r.output.find("src/localist/model/gpt.cpp:1: model/kv_cache.h, model/kv_cache.cpp"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("2 stale reference(s)"), std::string::npos) << r.output;  // not the run output, not torch
}

}  // namespace
}  // namespace localist
