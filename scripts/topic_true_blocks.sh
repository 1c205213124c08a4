#!/usr/bin/env bash
# What the true blocks of a topic corpus are worth to the likelihood under each target map
# (issue 20, docs/recruitment.md): the corpus's true partition written as a rules file
# (truth.json), trained from scratch with that fixed rules file and no recruitment, against one
# block. A split can only be recruited if it lowers held-out NLL, so a target map under which
# even the true blocks cost likelihood cannot recover them.
#   one       one block (the start of recruitment)
#   own       each topic reads itself, "other" itself
#   shared    "other" reads every block, every block may read "other"
#   ctxwords  shared, and a topic's word reads the block of its surrounding text ("@context")
#   ctxall    ctxwords, and "other" reads the surrounding text's block too
#   *b        the same, "@context" not looking back past a newline ("context_breaks")
# Usage: scripts/topic_true_blocks.sh OUT_DIR [K:seed ...]   (default 2:102 4:102; 2 at a time)
# Environment: VARIANTS (must include one: the reference), STEPS (1500), TOKENS (300000).
set -euo pipefail
B=${B:-build/localist}
OUT=${1:?usage: topic_true_blocks.sh OUT_DIR [K:seed ...]}
shift || true
WORLDS=${*:-2:102 4:102}
VARIANTS=${VARIANTS:-one own shared ctxwords ctxall ctxwordsb ctxallb}
STEPS=${STEPS:-1500}
TOKENS=${TOKENS:-300000}
M="--tokenizer word --n-layer 1 --n-head 2 --n-embd 32 --block-size 128 --batch-size 16 \
   --max-steps $STEPS --eval-interval $STEPS --log-interval $STEPS --threads 1 --blocks vocab --lambda 1"
mkdir -p "$OUT"
jobs=()
for w in $WORLDS; do
  corpus="$OUT/corpus-k${w%%:*}-s${w##*:}"
  [ -f "$corpus/truth.json" ] || $B synth --family topics --out "$corpus" --synth-blocks "${w%%:*}" \
    --synth-seed "${w##*:}" --synth-tokens "$TOKENS" > /dev/null
  for v in $VARIANTS; do
    python3 - "$corpus/truth.json" "$v" > "$corpus/rules-$v.json" <<'PY'
import json, sys
truth, v = json.load(open(sys.argv[1])), sys.argv[2]
blocks = [{"name": b["name"], "tokens": b["types"]} for b in truth["blocks"]]
doc = {"blocks": [] if v == "one" else blocks}
if v not in ("one", "own"):
    doc["targets"], doc["shared"] = {"other": "*"}, "other"
if v.startswith("ctx"):
    doc["targets"].update({b["name"]: "@context" for b in blocks})
if v.startswith("ctxall"):
    doc["targets"]["other"] = "@context"
if v.endswith("b"):
    doc["context_breaks"] = ["\n"]
print(json.dumps(doc))
PY
    run="$OUT/k${w%%:*}-s${w##*:}-$v"
    [ -f "$run/checkpoint/checkpoint.json" ] && continue
    ( $B train --out "$run" --data "$corpus" $M --rules "$corpus/rules-$v.json" > "$run.log" 2>&1 ) &
    jobs+=($!)
    if [ ${#jobs[@]} -ge 2 ]; then wait "${jobs[0]}"; jobs=("${jobs[@]:1}"); fi
  done
done
wait
echo "| K* | seed | targets | test ppl | ΔL vs one block (nats/token) | block fid. |"
echo "|---|---|---|---|---|---|"
for w in $WORLDS; do
  k=${w%%:*} seed=${w##*:}
  for v in $VARIANTS; do
    $B eval "$OUT/k$k-s$seed-$v" --split test --json --max-tokens 20000 > "$OUT/k$k-s$seed-$v.eval.json"
  done
  for v in $VARIANTS; do
    python3 - "$OUT/k$k-s$seed-$v.eval.json" "$OUT/k$k-s$seed-one.eval.json" "$k" "$seed" "$v" <<'PY'
import json, math, sys
e, one = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
k, seed, v = sys.argv[3:]
d = math.log(e["perplexity"]) - math.log(one["perplexity"])
print(f"| {k} | {seed} | {v} | {e['perplexity']:.3f} | {d:+.4f} | {e['block_fidelity']:.4f} |")
PY
  done
done
