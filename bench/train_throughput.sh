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
ours=$("$build/bench_train_throughput" "$@")
peer=$("$PY" bench/peer_gpt.py "$@")
echo "$ours"
echo "$peer"
"$PY" - "$ours" "$peer" <<'PYEOF'
import json, sys
o, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"| impl | tokens/s | ms/step |\n|---|---|---|")
for r in (o, p):
    print(f"| {r['impl']} ({r['device']}, {r['threads']} threads) | {r['tokens_per_s']:,.0f} | {r['ms_per_step']:.2f} |")
print(f"ratio localist / PyTorch = {o['tokens_per_s'] / p['tokens_per_s']:.3f}")
PYEOF
