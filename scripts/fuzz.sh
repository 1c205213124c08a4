#!/usr/bin/env bash
# libFuzzer (clang, with ASan + UBSan) over the readers of files users receive from others
# (issue 8): the safetensors reader, checkpoint.json with its configs and tokenizer, rules
# files, the char and word tokenizers; and the request bodies `serve` takes (issue 38). Usage: scripts/fuzz.sh [SECONDS per target, 60]
# Builds build-fuzz/, grows build-fuzz/corpus/TARGET from fuzz/corpus/TARGET, and writes any
# crashing input to build-fuzz/crashes/TARGET/. A crash found is fixed and its input kept in
# fuzz/regressions/TARGET/, which the ordinary test suite replays (tests/fuzz/).
# Exits non-zero if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:-60}"
targets=(safetensors checkpoint rules tokenizers requests)
scripts/install_deps.sh clang-14 libclang-rt-14-dev
scripts/setup_python.sh
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DLOCALIST_FUZZ=ON -DLOCALIST_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
# LibTorch keeps allocations until exit by design: leak checking off; every other report fails.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_NUM_THREADS=1
status=0
printf '%-12s %10s %8s %10s %8s\n' target seconds execs corpus crashes > build-fuzz/summary.txt
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  # -malloc_limit_mb: an allocation this large from a small input is itself a bug
  if ! "build-fuzz/fuzz_$t" -max_total_time="$budget" -max_len=16384 -timeout=20 -rss_limit_mb=3072 \
       -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$t/" \
       "build-fuzz/corpus/$t" "fuzz/corpus/$t" > "build-fuzz/$t.log" 2>&1; then
    status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/$t.log" | grep -o '[0-9]*$' || echo 0)
  printf '%-12s %10s %8s %10s %8s\n' "$t" "$budget" "${execs:-0}" "$(ls "build-fuzz/corpus/$t" | wc -l)" \
    "$(ls "build-fuzz/crashes/$t" | wc -l)" >> build-fuzz/summary.txt
done
cat build-fuzz/summary.txt
[ "$status" -eq 0 ] || { echo "fuzz: a target crashed; see build-fuzz/*.log and build-fuzz/crashes/" >&2; exit 1; }
