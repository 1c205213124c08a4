#pragma once
// One exception type per kind of user mistake. Each is caught once, at the edge of a
// command (apps/main.cpp), and printed as one line naming the file/field/value and what
// was expected; the command then exits non-zero. Anything else is a bug, not a user error.
//
// A message names a setting with setting("block_size"), its key as in checkpoint.json; each face
// spells it as its users type it: --block-size on the command line (apps/options.cpp), "block_size"
// over HTTP (serve/server.cpp), block_size in Python (python/_localist.cpp); what() gives the key.
#include <functional>
#include <stdexcept>
#include <string>

namespace localist {

// The key marked for spelling, e.g. throw ConfigError(setting("recruit") + " needs " + setting("blocks") + " vocab").
std::string setting(const std::string& key);

// How one face spells a setting's key.
using Spelling = std::function<std::string(const std::string& key)>;

struct UserError : std::runtime_error {
  explicit UserError(const std::string& message);
  // The message with every marked setting spelled by `spell`.
  std::string spelled(const Spelling& spell) const;
  // The message with its marks, for an error that wraps this one's message in its own.
  const std::string& marked() const { return marked_; }

 private:
  std::string marked_;
};
// A path that does not exist, cannot be read or cannot be written.
struct PathError : UserError {
  using UserError::UserError;
};
// A corpus or token file whose content is unusable (empty, too short, corrupt).
struct DataError : UserError {
  using UserError::UserError;
};
// A configuration value that is impossible (negative width, heads not dividing width, ...).
struct ConfigError : UserError {
  using UserError::UserError;
};
// A checkpoint that is missing pieces, corrupt, or does not match its config.
struct CheckpointError : UserError {
  using UserError::UserError;
};

// Not a user mistake: the program found itself in a state it should never reach (a bug).
// main() reports it as an internal error, exit 4, not as a user error.
struct InternalError : std::logic_error {
  using std::logic_error::logic_error;
};

}  // namespace localist
