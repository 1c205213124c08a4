#pragma once
// Runs the `localist` binary as a user would, for the command-line tests.
#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

#include "localist/core/temp_dir.h"

namespace localist::testing {

struct CliResult {
  int code;
  std::string output;  // stdout and stderr
};

inline CliResult run_shell(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  CliResult r{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  while (fgets(buf.data(), buf.size(), p)) r.output += buf.data();
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline CliResult run_cli(const std::string& args) { return run_shell(std::string(LOCALIST_BINARY) + " " + args); }

// `localist ARGS` in 2 processes started by PyTorch's own launcher, torchrun (standalone: it
// picks a free port, so tests may run side by side).
inline CliResult run_torchrun2(const std::string& args) {
  return run_shell(std::string(LOCALIST_PYTHON) + " -m torch.distributed.run --standalone --nproc-per-node 2 "
                   "--no-python " + LOCALIST_BINARY + " " + args);
}

// The project's Python imports each of `modules` ("transformers, tokenizers"): the interop tests
// skip without them.
inline bool python_imports(const std::string& modules) {
  return run_shell(std::string(LOCALIST_PYTHON) + " -c 'import " + modules + "'").code == 0;
}

// tests/python/SCRIPT ARGS, run by the project's Python: the real clients and reference makers.
inline CliResult run_python_script(const std::string& script, const std::string& args) {
  return run_shell(std::string(LOCALIST_PYTHON) + " " + LOCALIST_SOURCE_DIR + "/tests/python/" + script + " " + args);
}

// One scratch directory per test program, removed at exit.
inline std::string cli_tmp(const std::string& name) {
  static TempDir dir("localist_cli");
  return dir.file(name);
}

}  // namespace localist::testing
