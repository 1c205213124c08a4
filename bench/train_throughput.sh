#!/usr/bin/env bash
# Training tokens/s of the localist C++ model beside the same model in Python PyTorch (the same
# wheel as our LibTorch), eager and torch.compile, in one run, as ratios; the locality dial's
# bias is active in all three (--lambda 0 turns it off). Also the machine's measured fp32 GEMM
# rate, the roof the achieved GFLOP/s are read against.
# Usage: bench/train_throughput.sh [BUILD_DIR] [options for all three]
#   CPU:  bench/train_throughput.sh build
#   GPU:  bench/train_throughput.sh build --device cuda
# Options: --vocab --n-layer --n-head --n-embd --block-size --batch --steps --threads --window
#          --lambda --device.  REPS=N alternates the three N times (default 3); medians reported.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"; shift || true
PY="${LOCALIST_PYTHON:-.venv/bin/python}"
"$PY" -c 'import torch' 2>/dev/null || { echo "train_throughput: no PyTorch at $PY (scripts/setup_python.sh)" >&2; exit 1; }
ours=(); eager=(); compiled=()
for _ in $(seq "${REPS:-3}"); do  # alternated, so drift on a shared machine hits all alike
  ours+=("$("$build/bench_train_throughput" "$@")")
  eager+=("$("$PY" bench/peer_gpt.py "$@")")
  compiled+=("$("$PY" bench/peer_gpt.py --compile "$@")")
done
printf '%s\n' "${ours[@]}" "${eager[@]}" "${compiled[@]}"
"$PY" - "${#ours[@]}" "${ours[@]}" "${eager[@]}" "${compiled[@]}" "$@" <<'PYEOF'
import json, statistics, sys, time
import torch
n = int(sys.argv[1])
runs = [[json.loads(x) for x in sys.argv[2 + i * n:2 + (i + 1) * n]] for i in range(3)]
args = sys.argv[2 + 3 * n:]
if "--threads" in args:
    torch.set_num_threads(int(args[args.index("--threads") + 1]))
threads = torch.get_num_threads()
dev = args[args.index("--device") + 1] if "--device" in args else "cpu"
a = torch.randn(2048, 2048, device=dev); b = torch.randn(2048, 2048, device=dev)
for _ in range(2): a @ b
t = time.perf_counter(); k = 10
for _ in range(k): c = a @ b
float(c[0, 0]); gemm = k * 2 * 2048 ** 3 / (time.perf_counter() - t) / 1e9
med = lambda rs, key="tokens_per_s": statistics.median(r[key] for r in rs)
print(f"| impl | median tokens/s ({n} runs) | min | max | GFLOP/s (6N + 12LTC per token) | of fp32 GEMM |")
print("|---|---|---|---|---|---|")
for rs in runs:
    r, ts = rs[0], [x["tokens_per_s"] for x in rs]
    print(f"| {r['impl']} ({r['device']}, {r['threads']} threads, lambda {r['lambda']}) | {med(rs):,.0f} | "
          f"{min(ts):,.0f} | {max(ts):,.0f} | {med(rs, 'gflop_per_s'):.1f} | {100 * med(rs, 'gflop_per_s') / gemm:.0f} % |")
print(f"fp32 GEMM 2048^3 on {dev}, {threads} thread(s): {gemm:.1f} GFLOP/s")
print(f"ratio localist / eager (medians) = {med(runs[0]) / med(runs[1]):.3f}")
print(f"ratio localist / torch.compile (medians) = {med(runs[0]) / med(runs[2]):.3f}")
PYEOF
