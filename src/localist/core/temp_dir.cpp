#include "localist/core/temp_dir.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "localist/core/errors.h"

namespace localist {

TempDir::TempDir(const std::string& prefix) {
  const auto base = std::filesystem::temp_directory_path();
  std::string pattern = (base / (prefix + "_XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw PathError("cannot create a temporary directory under '" + base.string() + "'");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
  const std::string p = file(name);
  std::ofstream out(p, std::ios::binary);
  if (!out) throw PathError("cannot write '" + p + "'");
  out << text;
  return p;
}

}  // namespace localist
