#include "localist/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "localist/core/errors.h"

namespace localist {

void sync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;  // nothing to make durable
  ::fsync(fd);
  ::close(fd);
}

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
  const std::string tmp = path + ".tmp";
  const auto failed = [&](const std::string& what) {
    const std::string reason = errno ? std::strerror(errno) : "unknown error";
    std::remove(tmp.c_str());
    throw PathError(what + " (" + reason + "); '" + path + "' is unchanged");
  };
  {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) failed("cannot write '" + tmp + "'");
    write(out);
    out.flush();
    if (!out) failed("writing '" + tmp + "' failed");
    out.close();
    if (!out) failed("closing '" + tmp + "' failed");
  }
  int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd >= 0) {
    errno = 0;
    const int rc = ::fsync(fd);  // a full disk can surface only here (delayed allocation)
    ::close(fd);
    if (rc != 0) failed("flushing '" + tmp + "' to disk failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) failed("cannot rename '" + tmp + "' to '" + path + "'");
  const auto parent = std::filesystem::path(path).parent_path();
  sync_path(parent.empty() ? "." : parent.string());
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, [&](std::ostream& out) { out << text; });
}

}  // namespace localist
