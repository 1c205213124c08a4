#pragma once
// What a fuzz target asks of a reader: accept the input or refuse it with a UserError.
#include "localist/core/errors.h"

namespace localist::fuzz {

// Runs f: true if it accepted the input, false on a UserError (a correct refusal). Everything
// else propagates (and aborts the fuzzer).
template <typename F>
bool refusal_ok(F&& f) {
  try {
    f();
    return true;
  } catch (const UserError&) {
    return false;
  }
}

}  // namespace localist::fuzz
