#!/usr/bin/env bash
# The project's Python environment .venv/ with the pinned PyTorch of requirements.txt: its
# LibTorch (CPU and CUDA in one) is what CMake builds against. Idempotent: a .venv that already
# matches requirements.txt is left alone.
#   scripts/setup_python.sh test      also requirements-test.txt (the real clients the tests drive)
#   LOCALIST_PYTHON=/path/to/python   use an existing PyTorch 2.x install instead of .venv
#                                     (a machine without network, the lent GPU machine)
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "setup_python: $*" >&2; exit 1; }
has_torch2() { "$1" -c 'import sys, torch; sys.exit(int(torch.__version__.split(".")[0]) < 2)' 2>/dev/null; }

if [ -n "${LOCALIST_PYTHON:-}" ]; then
  has_torch2 "$LOCALIST_PYTHON" ||
    die "LOCALIST_PYTHON=$LOCALIST_PYTHON does not import PyTorch 2.x (it must run 'import torch' with torch >= 2)"
  exit 0
fi
# the test clients on top of a complete environment (marker .venv/.installed-test)
install_test() {
  [ "${1:-}" = test ] || return 0
  [ -f .venv/.installed-test ] && [ requirements-test.txt -ot .venv/.installed-test ] && return 0
  echo "setup_python: installing requirements-test.txt into .venv"
  .venv/bin/python -m pip install --disable-pip-version-check -q -r requirements-test.txt >.venv/pip-test.log 2>&1 ||
    die "pip could not install requirements-test.txt (see .venv/pip-test.log)"
  touch .venv/.installed-test
}
if [ -f .venv/.installed ] && [ requirements.txt -ot .venv/.installed ] && has_torch2 .venv/bin/python; then
  install_test "${1:-}"
  exit 0
fi
command -v python3 >/dev/null ||
  die "python3 not found: install it (apt-get install python3 python3-venv), or set LOCALIST_PYTHON to a Python with PyTorch 2.x"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv >/dev/null 2>&1 ||
    { rm -rf .venv; die "python3 -m venv failed (no venv module): apt-get install python3-venv, or set LOCALIST_PYTHON to a Python with PyTorch 2.x"; }
fi
.venv/bin/python -m pip --version >/dev/null 2>&1 ||
  die "the virtual environment .venv has no pip: apt-get install python3-pip python3-venv and delete .venv, or set LOCALIST_PYTHON"
echo "setup_python: installing requirements.txt into .venv (PyTorch with CUDA: about 4.7 GB, a few minutes)"
.venv/bin/python -m pip install --disable-pip-version-check -q -r requirements.txt >.venv/pip.log 2>&1 ||
  die "pip could not install requirements.txt (no network to PyPI? see .venv/pip.log): connect this machine, or set LOCALIST_PYTHON to an existing Python with PyTorch 2.x"
touch .venv/.installed
echo "setup_python: $(.venv/bin/python -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda)')"
install_test "${1:-}"
