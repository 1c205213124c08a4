#pragma once
// Writes a file so that readers only ever see the old content or the complete new content:
// write PATH.tmp, flush, fsync, rename over PATH, fsync the directory. An interrupted write
// (a kill, a full disk) loses nothing: PATH keeps its old content and PATH.tmp is removed
// (or, after a kill, overwritten by the next write).
#include <functional>
#include <ostream>
#include <string>

namespace localist {

// Throws PathError naming the file and the system's reason (e.g. "No space left on device").
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);
void write_text_atomically(const std::string& path, const std::string& text);

// fsync a file or directory (a directory: so the renames inside it survive a power cut).
void sync_path(const std::string& path);

}  // namespace localist
