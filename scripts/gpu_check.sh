#!/usr/bin/env bash
# On a GPU machine: CUDA build, the test suite (CUDA tests included), the throughput
# benchmark beside PyTorch at two sizes. Logs go to $OUT (or ./gpu-logs).
# Usage: scripts/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-logs}"; mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
python3 -c 'import torch; print("torch", torch.__version__, torch.version.cuda)' | tee -a "$out/gpu.txt"
time scripts/build_cuda.sh build-cuda 2>&1 | tail -n 30 | tee "$out/build.log"
export LD_LIBRARY_PATH="$PWD/build-cuda/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
build-cuda/localist --version | tee -a "$out/gpu.txt"
(cd build-cuda && ctest --output-on-failure -j8) 2>&1 | tail -n 25 | tee "$out/ctest.log"
{
  echo "## tiny (2x128, T=128, V=2048, batch 16)"
  LOCALIST_PYTHON=python3 bench/train_throughput.sh build-cuda --device cuda --steps 50
  echo "## 2-layer d=256 T=256 V=33k batch 32 (issue 7's first config)"
  LOCALIST_PYTHON=python3 bench/train_throughput.sh build-cuda --device cuda --steps 50 --vocab 33000 --n-embd 256 --block-size 256 --n-head 4 --batch 32
} 2>&1 | tee "$out/bench.log"
