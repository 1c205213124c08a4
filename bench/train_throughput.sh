#!/usr/bin/env bash
# Training tokens/s of the localist C++ model beside the same model in Python PyTorch, in one
# run, as a ratio. Usage: bench/train_throughput.sh [BUILD_DIR] [-- options for both]
#   CPU (Debian's python3-torch):  bench/train_throughput.sh build
#   GPU (the PyTorch install):     bench/train_throughput.sh build-cuda --device cuda
# Options: --vocab --n-layer --n-head --n-embd --block-size --batch --steps --threads --device
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"; shift || true
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import torch' 2>/dev/null; then PY=/usr/bin/python3; fi
if ! "$PY" -c 'import torch' 2>/dev/null; then
  echo "installing Debian's python3-torch for the peer"; apt-get install -y -qq python3-torch >/dev/null
fi
# Alternate the two REPS times (default 5) so drift on a shared machine hits both alike;
# report medians.
ours=(); peer=()
for _ in $(seq "${REPS:-5}"); do
  ours+=("$("$build/bench_train_throughput" "$@")")
  peer+=("$("$PY" bench/peer_gpt.py "$@")")
done
printf '%s\n' "${ours[@]}" "${peer[@]}"
"$PY" - "${#ours[@]}" "${ours[@]}" "${peer[@]}" <<'PYEOF'
import json, statistics, sys
n = int(sys.argv[1])
o = [json.loads(x) for x in sys.argv[2:2 + n]]
p = [json.loads(x) for x in sys.argv[2 + n:]]
med = lambda rs: statistics.median(r["tokens_per_s"] for r in rs)
print(f"| impl | median tokens/s ({n} runs) | min | max |\n|---|---|---|---|")
for rs in (o, p):
    r = rs[0]
    ts = [x["tokens_per_s"] for x in rs]
    print(f"| {r['impl']} ({r['device']}, {r['threads']} threads) | {med(rs):,.0f} | {min(ts):,.0f} | {max(ts):,.0f} |")
print(f"ratio localist / PyTorch (medians) = {med(o) / med(p):.3f}")
PYEOF
