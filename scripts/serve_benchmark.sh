#!/usr/bin/env bash
# The load figures of docs/serve.md: `localist serve RUN` on a free loopback port under each
# concurrency setting, 32 clients x 50 completions of 32 tokens each (scripts/serve_load.py),
# then 32 x 10 with "explain", then batched settings; one JSON line per setting.
# Usage: scripts/serve_benchmark.sh RUN     Environment: B (build/localist), PY (.venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build/localist}
PY=${PY:-.venv/bin/python}
RUN=${1:?usage: serve_benchmark.sh RUN}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
load() {  # SETTING_LABEL "SERVE OPTIONS" "LOAD OPTIONS"
  $B serve "$RUN" --port 0 --queue 64 --audit-log "$out/audit.jsonl" $2 > "$out/server.out" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do grep -q "on http://" "$out/server.out" && break; sleep 0.1; done
  local port
  port=$(grep -o '127.0.0.1:[0-9]*' "$out/server.out" | cut -d: -f2)
  echo "{\"setting\": \"$1\", \"load\": $($PY scripts/serve_load.py "http://127.0.0.1:$port" $3)}"
  kill -TERM $pid; wait $pid || true
}
load "parallel 1, threads 1" "--parallel 1 --threads 1" "--clients 32 --requests 50"
load "parallel 1, threads 2" "--parallel 1 --threads 2" "--clients 32 --requests 50"
load "parallel 2, threads 1" "--parallel 2 --threads 1" "--clients 32 --requests 50"
load "parallel 2, threads 1, explain" "--parallel 2 --threads 1" "--clients 32 --requests 10 --explain"
# batching: the running requests' steps share one forward (--batch N rows at most)
load "parallel 8, batch 8, threads 2" "--parallel 8 --batch 8 --threads 2" "--clients 32 --requests 50"
load "parallel 32, batch 32, threads 2" "--parallel 32 --batch 32 --threads 2" "--clients 32 --requests 50"
load "parallel 32, batch 32, threads 1" "--parallel 32 --batch 32 --threads 1" "--clients 32 --requests 50"
