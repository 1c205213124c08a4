#include "localist/core/errors.h"

namespace localist {
namespace {

// Control characters no message of ours contains: a setting's key sits between them.
constexpr char kOpen = '\x1e', kClose = '\x1f';

std::string spell_marks(const std::string& marked, const Spelling& spell) {
  std::string out;
  for (size_t at = 0; at < marked.size();) {
    const size_t open = marked.find(kOpen, at);
    const size_t close = open == std::string::npos ? open : marked.find(kClose, open);
    if (close == std::string::npos) return out + marked.substr(at);
    out += marked.substr(at, open - at) + spell(marked.substr(open + 1, close - open - 1));
    at = close + 1;
  }
  return out;
}

std::string bare(const std::string& key) { return key; }

}  // namespace

std::string setting(const std::string& key) { return kOpen + key + kClose; }

UserError::UserError(const std::string& message)
    : std::runtime_error(spell_marks(message, bare)), marked_(message) {}

std::string UserError::spelled(const Spelling& spell) const { return spell_marks(marked_, spell); }

}  // namespace localist
