#!/usr/bin/env bash
# Installs, from Debian's archive, whatever the build needs and this machine lacks.
# Idempotent: a machine that has everything is left alone (no apt-get update).
# Extra packages for one script (e.g. clang for fuzzing) may be given as arguments.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev          # LibTorch 1.13 (CPU)
  libopenblas0-pthread  # ~10x faster than the reference BLAS LibTorch otherwise falls back to
  libgloo-dev           # c10d Gloo backend (distributed on CPU)
  libcli11-dev nlohmann-json3-dev libsentencepiece-dev
  libgtest-dev libbenchmark-dev
  "$@"
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install_deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install_deps: done"
