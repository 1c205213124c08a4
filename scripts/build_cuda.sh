#!/usr/bin/env bash
# The build on a machine that brings its own PyTorch and has no network (the lent GPU
# machine): the same sources and CMakeLists as everywhere, LibTorch taken from `python3`'s
# torch (LOCALIST_PYTHON overrides), the Debian -dev packages it lacks unpacked from the .deb
# files in .gpu-deps/ (fetched beforehand on a Debian machine by scripts/fetch_gpu_deps.sh).
# Usage: scripts/build_cuda.sh [BUILD_DIR [TARGET...]]   (default build-cuda, every target)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-cuda}"
shift || true
targets=()
for t in "$@"; do targets+=(--target "$t"); done
export LOCALIST_PYTHON="${LOCALIST_PYTHON:-$(command -v python3)}"
prefixes=""
if [ -d .gpu-deps ]; then  # first on the prefix path; the machine may have some of them (not all)
  deps="$PWD/$build/deps"
  mkdir -p "$deps"
  for f in .gpu-deps/*.deb; do dpkg-deb -x "$f" "$deps"; done
  prefixes="$deps/usr"
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefixes" \
  -DLOCALIST_PYTHON="$LOCALIST_PYTHON"
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
