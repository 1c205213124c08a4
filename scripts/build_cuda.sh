#!/usr/bin/env bash
# The CUDA build: the same sources against the LibTorch inside a CUDA PyTorch install
# (DESIGN.md §2.1). Usage: scripts/build_cuda.sh [BUILD_DIR]   (default build-cuda)
# On a GPU machine without Debian's -dev packages (no network there), the header libraries,
# SentencePiece and GoogleTest come from the .deb files in .gpu-deps/, fetched beforehand on a
# Debian machine by scripts/fetch_gpu_deps.sh, unpacked into a private prefix.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-cuda}"
prefixes="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
if [ ! -f /usr/include/CLI/CLI.hpp ] && [ -d .gpu-deps ]; then
  deps="$PWD/$build/deps"
  mkdir -p "$deps"
  for f in .gpu-deps/*.deb; do dpkg-deb -x "$f" "$deps"; done
  prefixes="$prefixes;$deps/usr"
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefixes" \
  -DCMAKE_CUDA_ARCHITECTURES=90
cmake --build "$build" -j"$(nproc)"
