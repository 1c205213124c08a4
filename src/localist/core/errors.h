#pragma once
// One exception type per kind of user mistake. Each is caught once, at the edge of a
// command (apps/main.cpp), and printed as one line naming the file/field/value and what
// was expected; the command then exits non-zero. Anything else is a bug, not a user error.
#include <stdexcept>
#include <string>

namespace localist {

struct UserError : std::runtime_error {
  using std::runtime_error::runtime_error;
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
