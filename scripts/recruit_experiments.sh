#!/usr/bin/env bash
# Block recruitment on the synthetic corpus (docs/recruitment.md): for K* true blocks and seeds,
# a one-block run (recruitment never fires), recruitment with the default capacity (one head per
# layer per block, theta 0.01) and without new capacity (heads 0, theta 0.001). Prints one
# Markdown row per run: blocks, accepted/rejected, ARI, purity, test perplexity and fidelity.
# Usage: scripts/recruit_experiments.sh OUT_DIR [K...]   (default K: 2 4 8; 2 runs at a time)
# Environment: SEEDS (1234 99), RUNS (one head free), STEPS (1500), THETA (the free runs',
# 0.001), EXTRA (more train options, e.g. "--synth-recall 0.5").
set -euo pipefail
B=${B:-build/localist}
OUT=${1:?usage: recruit_experiments.sh OUT_DIR [K...]}
shift || true
KS=${*:-2 4 8}
SEEDS=${SEEDS:-1234 99}
EXTRA=${EXTRA:-}  # e.g. --synth-recall 0.5
RUNS=${RUNS:-one head free}
STEPS=${STEPS:-1500}
M="--n-layer 1 --n-head 2 --n-embd 32 --block-size 128 --batch-size 16 --max-steps $STEPS \
   --eval-interval $STEPS --log-interval 500 --threads 1 --blocks vocab --lambda 1 --recruit \
   --recruit-interval 100 --recruit-finetune 100 $EXTRA"
declare -A CFG=(
  [one]="--recruit-start 1000000"
  [head]="--recruit-start 100 --recruit-theta 0.01 --recruit-heads 1"
  [free]="--recruit-start 100 --recruit-theta ${THETA:-0.001} --recruit-heads 0"
)
mkdir -p "$OUT"
jobs=()
for k in $KS; do for seed in $SEEDS; do for c in $RUNS; do
  run="$OUT/k$k-s$seed-$c"
  [ -f "$run/checkpoint/checkpoint.json" ] && continue
  $B train --out "$run" --synth-blocks "$k" --synth-seed "$seed" --synth-tokens 1000000 $M ${CFG[$c]} \
     > "$run.log" 2>&1 &
  jobs+=($!)
  if [ ${#jobs[@]} -ge 2 ]; then wait "${jobs[0]}"; jobs=("${jobs[@]:1}"); fi
done; done; done
wait
echo "| K* | seed | run | blocks | accepted | rejected | ARI | purity | test ppl | pointer fid. | block fid. |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for k in $KS; do for seed in $SEEDS; do for c in $RUNS; do
  run="$OUT/k$k-s$seed-$c"
  $B blocks "$run" --json > "$run.blocks.json"
  $B eval "$run" --json --max-tokens 20000 > "$run.eval.json"
  python3 - "$k" "$seed" "$c" "$run" <<'PY'
import json, sys
k, seed, c, run = sys.argv[1:]
b = json.load(open(run + ".blocks.json")); e = json.load(open(run + ".eval.json"))
g = b.get("agreement", {}); r = b["recruit"]
print(f"| {k} | {seed} | {c} | {len(b['blocks'])} | {r['accepted']} | {r['rejected']} | "
      f"{g.get('adjusted_rand_index', 0):.3f} | {g.get('purity', 0):.3f} | {e['perplexity']:.3f} | "
      f"{e.get('pointer_fidelity', float('nan')):.4f} | {e.get('block_fidelity', float('nan')):.4f} |")
PY
done; done; done
