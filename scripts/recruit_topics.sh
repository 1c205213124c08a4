#!/usr/bin/env bash
# Block recruitment on the topic corpus family (docs/recruitment.md, issue 20): corpora from
# `localist synth --family topics` (made-up words, shared markers, function words and punctuation,
# blocks of unequal size and frequency, words crossing into other blocks) with K* true blocks,
# one world seed each; a run with recruitment from one block per corpus and setting; each run's
# blocks measured against the corpus's truth.json (`localist blocks --truth`: exact true blocks,
# ARI, purity, shared tokens aside) and its test perplexity (first 20,000 predictions).
# Usage: scripts/recruit_topics.sh OUT_DIR [K...]        (default K: 2 4 8; 2 runs at a time)
# Environment: SEEDS (world seeds; tuning used 11 12 101-103 201-203, held out: 301 302 303), TOKENS (300000),
# SETTINGS (context: the --recruit-targets values), STEPS (1500), FINETUNE (100: --recruit-finetune),
# EXTRA (more train options).
set -euo pipefail
B=${B:-build/localist}
OUT=${1:?usage: recruit_topics.sh OUT_DIR [K...]}
shift || true
KS=${*:-2 4 8}
SEEDS=${SEEDS:-101 102 103}
TOKENS=${TOKENS:-300000}
SETTINGS=${SETTINGS:-context}
STEPS=${STEPS:-1500}
M="--tokenizer word --n-layer 1 --n-head 2 --n-embd 32 --block-size 128 --batch-size 16 \
   --max-steps $STEPS --eval-interval $STEPS --log-interval 500 --threads 1 --blocks vocab --lambda 1 \
   --recruit --recruit-finetune ${FINETUNE:-100} ${EXTRA:-}"
mkdir -p "$OUT"
jobs=()
for k in $KS; do for seed in $SEEDS; do
  corpus="$OUT/corpus-k$k-s$seed"
  [ -f "$corpus/truth.json" ] || $B synth --family topics --out "$corpus" --synth-blocks "$k" \
    --synth-seed "$seed" --synth-tokens "$TOKENS" > /dev/null
  for s in $SETTINGS; do
    run="$OUT/k$k-s$seed-$s"
    [ -f "$run/checkpoint/checkpoint.json" ] && continue
    ( /usr/bin/time -f "%e" -o "$run.seconds" $B train --out "$run" --data "$corpus" $M \
        --recruit-targets "$s" > "$run.log" 2>&1 ) &
    jobs+=($!)
    if [ ${#jobs[@]} -ge 2 ]; then wait "${jobs[0]}"; jobs=("${jobs[@]:1}"); fi
  done
done; done
wait
echo "| K* | seed | targets | blocks | accepted | rejected | exact | ARI | purity | test ppl | block fid. | train s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for k in $KS; do for seed in $SEEDS; do for s in $SETTINGS; do
  run="$OUT/k$k-s$seed-$s"
  $B blocks "$run" --json --truth "$OUT/corpus-k$k-s$seed/truth.json" > "$run.blocks.json"
  $B eval "$run" --split test --json --max-tokens 20000 > "$run.eval.json"
  python3 - "$k" "$seed" "$s" "$run" <<'PY'
import json, sys
k, seed, s, run = sys.argv[1:]
b = json.load(open(run + ".blocks.json")); e = json.load(open(run + ".eval.json"))
g, r = b["agreement"], b["recruit"]
secs = open(run + ".seconds").read().split()[-1]
print(f"| {k} | {seed} | {s} | {len(b['blocks'])} | {r['accepted']} | {r['rejected']} | {g['exact']}/{g['true_blocks']} | "
      f"{g['adjusted_rand_index']:.3f} | {g['purity']:.3f} | {e['perplexity']:.3f} | {e['block_fidelity']:.4f} | {secs} |")
PY
done; done; done
# every scored decision of these runs: right or wrong split, by the criterion's two conditions
pairs=()
for k in $KS; do for seed in $SEEDS; do for s in $SETTINGS; do
  pairs+=("$OUT/k$k-s$seed-$s:$OUT/corpus-k$k-s$seed/truth.json")
done; done; done
echo
python3 "$(dirname "$0")/recruit_decisions.py" summary "${pairs[@]}"
