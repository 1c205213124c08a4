#!/usr/bin/env bash
# How much evidence one recruitment decision needs (issue 20, docs/recruitment.md "Stable
# decisions"): the first decision (step 100) on topic corpora, re-made with one setting varied
# at a time from the defaults: held-out predictions that score it (--recruit-eval-tokens),
# fine-tune steps (--recruit-finetune) and probe batches that find the confused queries
# (--recruit-probe-batches). Per run: the decision, Delta L_data with its 95 % bootstrap
# interval, and whether each side of the candidate is a union of whole true blocks (no topic
# cut, no topic's words strayed; shared tokens aside): a right split, early or late.
# Usage: scripts/recruit_sample_size.sh OUT_DIR       (2 runs at a time)
# Environment: WORLDS ("K:seed ..."; default "4:11 8:11 4:12"), TOKENS (1000000: a validation
# split of 100,000 tokens, so 80,000 held-out predictions fit).
set -euo pipefail
B=${B:-build/localist}
OUT=${1:?usage: recruit_sample_size.sh OUT_DIR}
WORLDS=${WORLDS:-4:11 8:11 4:12}
TOKENS=${TOKENS:-1000000}
M="--tokenizer word --n-layer 1 --n-head 2 --n-embd 32 --block-size 128 --batch-size 16 \
   --max-steps 100 --eval-interval 100 --log-interval 100 --threads 1 --blocks vocab --lambda 1 \
   --recruit --recruit-start 100"
SETTINGS="eval-tokens:5000 eval-tokens:10000 eval-tokens:20000 eval-tokens:40000 eval-tokens:80000
          finetune:25 finetune:100 finetune:200 probe-batches:1 probe-batches:16"
mkdir -p "$OUT"
jobs=()
for w in $WORLDS; do
  k=${w%%:*} seed=${w##*:} corpus="$OUT/corpus-k${w%%:*}-s${w##*:}"
  [ -f "$corpus/truth.json" ] || $B synth --family topics --out "$corpus" --synth-blocks "$k" \
    --synth-seed "$seed" --synth-tokens "$TOKENS" > /dev/null
  for s in $SETTINGS; do
    run="$OUT/k$k-s$seed-${s/:/-}"
    [ -f "$run/recruit.jsonl" ] && continue
    # the others at 20,000 predictions, 100 fine-tune steps (as the benchmark), 4 probe batches
    declare -A v=([eval-tokens]=20000 [finetune]=100 [probe-batches]=4)
    v[${s%%:*}]=${s##*:}
    extra="--recruit-eval-tokens ${v[eval-tokens]} --recruit-finetune ${v[finetune]} --recruit-probe-batches ${v[probe-batches]}"
    ( $B train --out "$run" --data "$corpus" $M $extra > "$run.log" 2>&1 ) &
    jobs+=($!)
    if [ ${#jobs[@]} -ge 2 ]; then wait "${jobs[0]}"; jobs=("${jobs[@]:1}"); fi
  done
done
wait
echo "| K* | seed | setting | decision | types | whole true blocks per side | ΔL_data | 95 % interval | width |"
echo "|---|---|---|---|---|---|---|---|---|"
for w in $WORLDS; do for s in $SETTINGS; do
  k=${w%%:*} seed=${w##*:}
  python3 "$(dirname "$0")/recruit_decisions.py" first "$OUT/k$k-s$seed-${s/:/-}" "$OUT/corpus-k$k-s$seed/truth.json" "$k" "$seed" "$s"
done; done
