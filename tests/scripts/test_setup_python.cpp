// scripts/setup_python.sh on a machine that lacks what it needs: one line naming what is
// missing and how to provide it, a non-zero exit. Run on a copy of the script in a scratch
// directory (no .venv there), so the project's own environment is never touched.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_run.h"
#include "localist/core/temp_dir.h"

namespace localist {
namespace {

namespace fs = std::filesystem;
using testing::run_shell;

// A scratch checkout holding only the set-up script and requirements.txt.
std::string scratch_checkout(const TempDir& dir) {
  const fs::path root = dir.file("checkout");
  fs::create_directories(root / "scripts");
  fs::copy_file(fs::path(LOCALIST_SOURCE_DIR) / "scripts/setup_python.sh", root / "scripts/setup_python.sh");
  fs::copy_file(fs::path(LOCALIST_SOURCE_DIR) / "requirements.txt", root / "requirements.txt");
  return root.string();
}

TEST(SetupPython, NoPython3NamesItAndTheWayAround) {
  TempDir dir("localist_setup");
  const auto root = scratch_checkout(dir);
  // a PATH holding the one tool the script needs before it looks for python3
  const fs::path bin = dir.file("bin");
  fs::create_directories(bin);
  fs::create_symlink("/usr/bin/dirname", bin / "dirname");
  const auto r = run_shell("env -u LOCALIST_PYTHON PATH=" + bin.string() + " /bin/bash " + root +
                           "/scripts/setup_python.sh");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("setup_python: python3 not found"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("LOCALIST_PYTHON"), std::string::npos) << r.output;
}

TEST(SetupPython, ALocalistPythonWithoutTorchIsRefused) {
  TempDir dir("localist_setup");
  const auto root = scratch_checkout(dir);
  const auto r = run_shell("LOCALIST_PYTHON=/no/such/python " + root + "/scripts/setup_python.sh");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("LOCALIST_PYTHON=/no/such/python does not import PyTorch 2.x"), std::string::npos)
      << r.output;
}

TEST(SetupPython, ALocalistPythonWithTorchIsUsedAsItIs) {
  TempDir dir("localist_setup");
  const auto root = scratch_checkout(dir);
  const auto r = run_shell(std::string("LOCALIST_PYTHON=") + LOCALIST_PYTHON + " " + root + "/scripts/setup_python.sh");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(fs::exists(fs::path(root) / ".venv")) << "nothing installed beside an existing PyTorch";
}

TEST(SetupPython, NoNetworkNamesPipAndTheWayAround) {
  if (run_shell("python3 -c 'import ensurepip, venv'").code != 0)
    GTEST_SKIP() << "this python3 cannot make a virtual environment (the script says so first)";
  TempDir dir("localist_setup");
  const auto root = scratch_checkout(dir);
  // an index nobody answers on: what pip sees without network
  const auto r = run_shell("env -u LOCALIST_PYTHON PIP_INDEX_URL=http://127.0.0.1:9/simple PIP_RETRIES=0 "
                           "PIP_TIMEOUT=2 PIP_NO_CACHE_DIR=1 " + root + "/scripts/setup_python.sh");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("setup_python: pip could not install requirements.txt"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("LOCALIST_PYTHON"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace localist
