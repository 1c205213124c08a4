#pragma once
// A private directory (mkdtemp) removed with everything in it when it goes out of scope:
// scratch space for tools that read files (SentencePiece's trainer) and for tests.
#include <string>

namespace localist {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "localist");  // PathError if it cannot
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string operator/(const std::string& name) const { return file(name); }
  // Writes `text` to NAME inside the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

}  // namespace localist
