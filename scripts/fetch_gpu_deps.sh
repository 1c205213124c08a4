#!/usr/bin/env bash
# Downloads (does not install) the Debian packages that scripts/build_cuda.sh unpacks on a
# GPU machine that has PyTorch and CUDA but no Debian -dev packages and no network.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu-deps
cd .gpu-deps
apt-get download libcli11-dev nlohmann-json3-dev libsentencepiece-dev libsentencepiece0 \
  libgloo-dev libgtest-dev googletest libpcre2-dev libpcre2-8-0 libpcre2-16-0 libpcre2-32-0 libpcre2-posix3 2>/dev/null
ls
