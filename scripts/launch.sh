#!/usr/bin/env bash
# Launches N local processes of a command for `localist train --distributed`, torchrun-style:
# each gets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT. If any process fails,
# the others are stopped and the first failure's exit code is returned.
#   scripts/launch.sh 2 build/localist train --distributed --threads 1 --out runs/dp
# Environment: MASTER_ADDR (127.0.0.1), MASTER_PORT (random in 20000-29999), and for more
# than one machine NODE_RANK with NNODES (then RANK = NODE_RANK * N + LOCAL_RANK; run the
# script on every node with the same MASTER_ADDR/MASTER_PORT).
set -uo pipefail
if [ $# -lt 2 ] || ! [[ "$1" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/launch.sh N COMMAND [ARGS...]" >&2
  exit 2
fi
n="$1"; shift
nnodes="${NNODES:-1}"; node="${NODE_RANK:-0}"
export WORLD_SIZE=$((n * nnodes))
export MASTER_ADDR="${MASTER_ADDR:-127.0.0.1}"
export MASTER_PORT="${MASTER_PORT:-$((20000 + RANDOM % 10000))}"  # spread: tests launch concurrently
pids=()
for ((i = 0; i < n; i++)); do
  LOCAL_RANK=$i RANK=$((node * n + i)) "$@" &
  pids+=($!)
done
status=0
for _ in "${pids[@]}"; do
  wait -n
  rc=$?
  if [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; then
    status=$rc
    kill "${pids[@]}" 2>/dev/null  # a lost rank would leave the others waiting
  fi
done
exit "$status"
