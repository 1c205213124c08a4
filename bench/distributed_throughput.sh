#!/usr/bin/env bash
# Data-parallel scaling on CPU processes: training tokens/s of `localist train` at the same
# global batch as 1 process (1 thread, then all threads) and as N ranks over c10d/Gloo
# (1 thread each), alternated REPS times (default 3); medians and ratios.
# Usage: bench/distributed_throughput.sh [BUILD_DIR] [N]   (N defaults to the core count)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"; n="${2:-$(nproc)}"
global=$((8 * n))
model="--n-layer 2 --n-head 4 --n-embd 128 --block-size 128 --synth-tokens 200000 --max-steps 40 \
  --warmup 5 --eval-interval 1000 --log-interval 10 --device cpu"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
# tokens/s of the run's last 30 steps (the last three log lines; the first 10 steps warm up)
rate() { python3 -c "import json,sys,statistics
r=[json.loads(l) for l in open(sys.argv[1]) if '\"tokens_per_s\"' in l]
print(round(statistics.mean(x['tokens_per_s'] for x in r[-3:])))" "$1/metrics.jsonl"; }
one1=(); onen=(); dp=()
for i in $(seq "${REPS:-3}"); do
  "$build/localist" train $model --batch-size "$global" --threads 1 --out "$dir/a$i" >/dev/null
  one1+=("$(rate "$dir/a$i")")
  "$build/localist" train $model --batch-size "$global" --threads "$n" --out "$dir/b$i" >/dev/null
  onen+=("$(rate "$dir/b$i")")
  "${LOCALIST_PYTHON:-.venv/bin/python}" -m torch.distributed.run --standalone --nproc-per-node "$n" \
    --no-python "$build/localist" train --distributed $model --batch-size 8 --threads 1 --out "$dir/c$i" >/dev/null 2>&1
  dp+=("$(rate "$dir/c$i")")
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
a=$(median "${one1[@]}"); b=$(median "${onen[@]}"); c=$(median "${dp[@]}")
echo "global batch $global x 128 tokens, 2x128 model; tokens/s, median of ${REPS:-3} (runs: ${one1[*]} | ${onen[*]} | ${dp[*]})"
echo "| setup | tokens/s | vs 1 process, 1 thread |"
echo "|---|---|---|"
echo "| 1 process, 1 thread | $a | 1.00 |"
python3 -c "import sys; a,b,c,n=map(float,sys.argv[1:]); print('| 1 process, %d threads | %d | %.2f |' % (n,b,b/a)); print('| %d ranks x 1 thread (Gloo) | %d | %.2f |' % (n,c,c/a))" "$a" "$b" "$c" "$n"
