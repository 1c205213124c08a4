#!/usr/bin/env bash
# Installs, from Debian's archive, whatever the build needs and this machine lacks.
# Idempotent: a machine that has everything is left alone (no apt-get update).
#   scripts/install_deps.sh          what the `localist` command needs
#   scripts/install_deps.sh test     ... and the test suite (GoogleTest)
# Further packages for one script (e.g. clang for fuzzing) may be given as arguments.
# LibTorch is not a Debian package here: scripts/setup_python.sh installs PyTorch from PyPI.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  python3 python3-venv  # the project's .venv (scripts/setup_python.sh)
  libgloo-dev           # gloo's headers, which PyTorch's ProcessGroupGloo.hpp includes (CMakeLists.txt)
  libcli11-dev nlohmann-json3-dev libsentencepiece-dev
  libpcre2-dev          # Unicode regexes for GPT-2's pre-tokenizer (data/byte_bpe_tokenizer.cpp)
  libcpp-httplib-dev    # `localist serve` (serve/server.cpp)
)
for a in "$@"; do
  # curl: the serve tests talk to the server with it
  if [ "$a" = test ]; then PACKAGES+=(libgtest-dev curl); else PACKAGES+=("$a"); fi
done
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
command -v apt-get >/dev/null || { echo "install_deps: no apt-get: install ${missing[*]} by hand (Debian 12 names)" >&2; exit 1; }
echo "install_deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install_deps: done"
