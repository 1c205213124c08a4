#!/usr/bin/env bash
# The README's two commands:
#   scripts/quickstart.sh demo   install what is missing, build, run `localist demo`
#   scripts/quickstart.sh test   install what is missing, build, run the test suite (CTest)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-demo}"
scripts/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
case "$what" in
  demo) ./build/localist demo ;;
  test) ctest --test-dir build --output-on-failure -j"$(nproc)" ;;
  *) echo "usage: scripts/quickstart.sh demo|test" >&2; exit 2 ;;
esac
