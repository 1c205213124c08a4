#!/usr/bin/env bash
# The README's two commands:
#   scripts/quickstart.sh demo   install what is missing, build the `localist` command, run `localist demo`
#   scripts/quickstart.sh test   install what is missing, build everything, run the test suite (CTest)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-demo}"
case "$what" in
  demo) scripts/install_deps.sh; tests=OFF; target=(--target localist) ;;
  test) scripts/install_deps.sh test; tests=ON; target=() ;;
  *) echo "usage: scripts/quickstart.sh demo|test" >&2; exit 2 ;;
esac
scripts/setup_python.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOCALIST_TESTS=$tests >/dev/null
cmake --build build -j"$(nproc)" "${target[@]}"
case "$what" in
  demo) ./build/localist demo ;;
  test) ctest --test-dir build --output-on-failure -j"$(nproc)" ;;
esac
