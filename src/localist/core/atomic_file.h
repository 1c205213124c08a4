#pragma once
// Writes a file so that readers only ever see the old content or the complete new content:
// write PATH.tmp, flush, fsync, rename over PATH. An interrupted write loses nothing.
#include <functional>
#include <ostream>
#include <string>

namespace localist {

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace localist
