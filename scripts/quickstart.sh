#!/usr/bin/env bash
# The README's two commands:
#   scripts/quickstart.sh demo   install what is missing, build the `localist` command, run `localist demo`
#   scripts/quickstart.sh test   install what is missing, build everything, run the test suite (CTest)
# Prints how long each phase took at the end (docs/results.md has them for a fresh machine).
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-demo}"
case "$what" in
  demo) packages=(); tests=OFF; target=(--target localist) ;;
  test) packages=(test); tests=ON; target=() ;;
  *) echo "usage: scripts/quickstart.sh demo|test" >&2; exit 2 ;;
esac
phases=()
phase() { phases+=("$1 $((SECONDS - start)) s"); start=$SECONDS; }
start=$SECONDS
scripts/install_deps.sh "${packages[@]}"; phase "packages"
scripts/setup_python.sh "${packages[@]}"; phase "python"
# configure quietly (PyTorch's CMake files warn about things that do not concern this build);
# its whole output is kept in build/configure.log and shown if it fails
log=$(mktemp)
if ! cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOCALIST_TESTS=$tests >"$log" 2>&1; then
  cat "$log" >&2; exit 1
fi
mv "$log" build/configure.log
cmake --build build -j"$(nproc)" "${target[@]}"; phase "build"
# the Python package into .venv (`pip install .`, docs/python.md): it reuses build/, so only the
# module is compiled; with LOCALIST_PYTHON (no .venv) the tests use build/python alone
if [ "$what" = test ] && [ -z "${LOCALIST_PYTHON:-}" ]; then
  .venv/bin/python -m pip install --disable-pip-version-check --no-build-isolation -q . >build/pip-install.log 2>&1 ||
    { cat build/pip-install.log >&2; exit 1; }
  (cd /tmp && "$OLDPWD/.venv/bin/python" -c 'import localist; print("python: import localist ->", localist.__file__)')
  phase "pip install"
fi
case "$what" in
  demo) ./build/localist demo; phase "demo" ;;
  test) ctest --test-dir build --output-on-failure -j"$(nproc)"; phase "tests" ;;
esac
echo "quickstart $what: $(IFS=,; echo "${phases[*]}" | sed 's/,/, /g')"
