#!/usr/bin/env bash
# GPT-2 124M (random weights, made by transformers): import-hf's wall time and peak memory, then
# forward tokens/s of `localist` beside transformers on the same shapes, in the same run
# (docs/hf.md). Usage: bench/hf_gpt2.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
W=${2:-$(mktemp -d)}
PY=${LOCALIST_PYTHON:-.venv/bin/python}
[ -f "$W/gpt2/model.safetensors" ] || "$PY" bench/hf_gpt2.py make "$W/gpt2"
rm -rf "$W/run"
/usr/bin/time -f '{"import_wall_s": %e, "import_peak_rss_kb": %M}' "$B/localist" import-hf "$W/gpt2" --out "$W/run"
echo "model.safetensors: $(stat -c %s "$W/gpt2/model.safetensors") bytes"
for shape in "1 1024" "8 128"; do
  set -- $shape
  echo "batch $1 x T $2: localist $("$B/bench_forward_throughput" "$W/run" "$1" "$2" 5)," \
       "transformers $("$PY" bench/hf_gpt2.py forward "$W/gpt2" "$1" "$2" 5)"
done
