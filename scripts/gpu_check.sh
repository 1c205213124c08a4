#!/usr/bin/env bash
# On the lent GPU machine (its own PyTorch, no network; docs/gpu.md): the CUDA build, the CUDA
# and flash-attention tests, attention alone (flash-style localist attention beside PyTorch's
# SDPA with and without the dial's mask, and the materialised softmax) at the issue's shapes,
# then training tokens/s in bf16 beside Python eager and torch.compile at two sizes.
# Each step is logged and a failed step does not stop the next. Logs go to $OUT (or ./gpu-logs).
# Usage: scripts/gpu_check.sh [STEPS...]   steps: build tests attention train (default: all)
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-logs}"; mkdir -p "$out"
steps="${*:-build tests attention train}"
want() { [[ " $steps " == *" $1 "* ]]; }
log() { echo "== $(date +%T) $*" | tee -a "$out/steps.log"; }
export LD_LIBRARY_PATH="$PWD/build-cuda/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
export LOCALIST_PYTHON="${LOCALIST_PYTHON:-$(command -v python3)}"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  "$LOCALIST_PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
  nvcc --version | tail -n 2; nproc
} > "$out/gpu.txt" 2>&1
if want build; then
  log "build"
  scripts/build_cuda.sh build-cuda localist_gpu_tests bench_train_throughput bench_flash_attention \
    > "$out/build.log" 2>&1 && log "build ok" || { log "build FAILED"; tail -n 40 "$out/build.log"; }
fi
if want tests; then
  log "tests"
  build-cuda/localist_gpu_tests > "$out/tests.log" 2>&1
  log "tests rc=$?"; tail -n 15 "$out/tests.log"
fi
if want attention; then
  log "attention"
  for shape in "16 1024" "4 4096" "1 8192"; do
    set -- $shape
    for mode in sdpa sdpa_bias flash dense; do
      timeout 60 build-cuda/bench_flash_attention --device cuda --bf16 1 --batch "$1" --heads 12 --T "$2" \
        --head-dim 64 --window 64 --reps 5 --mode "$mode" >> "$out/attention.jsonl" 2>> "$out/steps.log"
    done
  done
  for mode in flash dense; do  # metrics at T = 8192 from one forward pass, fp32, peak memory
    timeout 60 build-cuda/bench_flash_attention --device cuda --batch 1 --heads 12 --T 8192 --head-dim 64 \
      --window 64 --reps 3 --metrics 1 --mode "$mode" >> "$out/attention.jsonl" 2>> "$out/steps.log"
  done
  cat "$out/attention.jsonl"
fi
if want train; then
  log "train"
  {
    echo "## 2 layers, d 256, 4 heads, T 256, V 33k, batch 32, bf16, dial on (issue 7's first config)"
    REPS=1 timeout 150 bench/train_throughput.sh build-cuda --device cuda --bf16 1 --steps 30 --vocab 33000 \
      --n-embd 256 --block-size 256 --n-head 4 --batch 32
    echo "## GPT-2 small: 12 layers, d 768, 12 heads, T 1024, V 50257, batch 16, bf16, dial on"
    REPS=1 timeout 200 bench/train_throughput.sh build-cuda --device cuda --bf16 1 --steps 20 --vocab 50257 \
      --n-layer 12 --n-embd 768 --n-head 12 --block-size 1024 --batch 16
  } > "$out/train.log" 2>&1
  cat "$out/train.log"
fi
log "done"
