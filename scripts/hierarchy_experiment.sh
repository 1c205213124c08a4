#!/usr/bin/env bash
# Hierarchical recruitment on a mixture of three domains (docs/hierarchy.md): Tiny Shakespeare
# (characters of a play), WikiText-2 (encyclopaedia text) and the embedded synthetic corpus.
#  1. the base M0: one character model on the mixture, with block recruitment on, so that
#     LLM-level recruitment may start once block recruitment has nothing left to give;
#  2. `hierarchy recruit` (on the same text, each domain's M0-validation tail held out): domains
#     found without labels, one candidate specialist per cluster
#     fine-tuned from M0, kept iff Delta L_total^LLM < -theta_LLM; once with cheap specialists
#     (--train-only 'ln_|bias': layer norms and biases) and once with whole ones;
#  3. `hierarchy eval` (step 4) on held-out text of each domain (Shakespeare's last 10 %, WikiText-2's
#     test.txt, the synthetic test split).
# Usage: scripts/hierarchy_experiment.sh OUT_DIR     (B=path/to/localist; ~15 min on 2 cores)
# The defaults are docs/hierarchy.md's main run (a small M0). Its second run, a bigger M0:
#   M0_SHAPE="--n-layer 2 --n-head 4 --n-embd 128" THETA_BLOCK=0.001 THETA_LLM=0.05 \
#   SPEC="--max-steps 300 --warmup 30 --lr 1e-3 --min-lr 1e-4 --eval-interval 300 --log-interval 100" \
#   KINDS="cheap whole" scripts/hierarchy_experiment.sh OUT_DIR2
set -euo pipefail
B=${B:-build/localist}
OUT=${1:?usage: hierarchy_experiment.sh OUT_DIR}
D=${DATA:-../shared/data}
M0_SHAPE=${M0_SHAPE:---n-layer 1 --n-head 2 --n-embd 32}
THETA_BLOCK=${THETA_BLOCK:-0.0002}
THETA_LLM=${THETA_LLM:-0.01}
SPEC=${SPEC:---max-steps 1500 --warmup 50 --lr 3e-3 --min-lr 3e-4 --eval-interval 1500 --log-interval 500}
KINDS=${KINDS:-whole}
mkdir -p "$OUT"
python3 - "$D" "$OUT" <<'PY'
import sys
d, out = sys.argv[1:]
def cut(text, frac):  # split at a line boundary
    i = text.rfind("\n", 0, int(len(text) * frac)) + 1
    return text[:i], text[i:]
shakes = open(d + "/tinyshakespeare/input.txt", encoding="utf-8").read()
shakes_train, shakes_test = cut(shakes, 0.9)
wiki_train = open(d + "/wikitext-2/valid.txt", encoding="utf-8").read()
open(out + "/shakespeare_test.txt", "w").write(shakes_test)
open(out + "/wikitext_test.txt", "w").write(open(d + "/wikitext-2/test.txt", encoding="utf-8").read())
open(out + "/shakespeare_train.txt", "w").write(shakes_train)
open(out + "/wikitext_train.txt", "w").write(wiki_train)
PY
$B synth --out "$OUT/synthetic_train.txt" --synth-tokens 300000 --synth-recall 0.5
$B synth --out "$OUT/synthetic_test.txt" --split test --synth-tokens 300000 --synth-recall 0.5
python3 - "$OUT" <<'PY'
import sys
out = sys.argv[1]
train, valid = [], []
for dom in ("shakespeare", "wikitext", "synthetic"):
    t = open(f"{out}/{dom}_train.txt").read()
    i = t.rfind("\n", 0, int(len(t) * 0.95)) + 1
    train.append(t[:i]); valid.append(t[i:])
open(out + "/mix_train.txt", "w").write("".join(train))   # M0 trains on this
open(out + "/mix_valid.txt", "w").write("".join(valid))   # ... and validates on this
# recruitment reads each domain's part in order, so each cluster's last 5 % of chunks (its
# held-out scoring text) is the domain's M0-validation tail, never trained on
open(out + "/mix_all.txt", "w").write("".join(t + v for t, v in zip(train, valid)))
PY
[ -f "$OUT/m0/checkpoint/checkpoint.json" ] ||
$B train --out "$OUT/m0" --data '' --train-file "$OUT/mix_train.txt" --valid-file "$OUT/mix_valid.txt" \
   --tokenizer char $M0_SHAPE --block-size 128 --batch-size 16 --max-steps 1500 \
   --warmup 100 --eval-interval 500 --eval-tokens 20000 --log-interval 250 --threads 1 \
   --blocks vocab --lambda 1 --recruit --recruit-start 250 --recruit-interval 250 --recruit-finetune 50 \
   --recruit-eval-tokens 5000 --recruit-theta "$THETA_BLOCK" > "$OUT/m0.log" 2>&1
REC="--data $OUT/mix_all.txt --holdout 0.05 --clusters 3 --chunk-chars 2000 --theta-block $THETA_BLOCK \
     --theta-llm $THETA_LLM --segment-tokens 128 --max-eval-segments 200 --batch-size 16 --eval-tokens 5000 \
     --threads 1 $SPEC"
EVAL="--domain shakespeare=$OUT/shakespeare_test.txt --domain wikitext=$OUT/wikitext_test.txt \
      --domain synthetic=$OUT/synthetic_test.txt --segment-tokens 128 --max-segments 200"
# the domain a candidate's cluster came from: where its sample text sits in the domains' training
# files (for evaluation only: recruitment never sees a label). Prints ARG=DOMAIN=CANDIDATE pairs.
pairs() {
  python3 - "$1" "$OUT" "$2" <<'PY'
import json, sys
h, out, accepted_only = sys.argv[1], sys.argv[2], sys.argv[3] == "accepted"
texts = {d: open(f"{out}/{d}_train.txt").read() for d in ("shakespeare", "wikitext", "synthetic")}
for line in open(h + "/recruit.jsonl"):
    r = json.loads(line)
    if "candidate" not in r or (accepted_only and r["decision"] != "accept"): continue
    dom = [d for d, t in texts.items() if r["sample"][:60] in t]
    if len(dom) == 1:
        print(f"--own {dom[0]}={r['candidate']}" if accepted_only else f"--member {dom[0]}={h}/work/{r['candidate']}/run", end=" ")
PY
}
for kind in $KINDS; do
  h="$OUT/h-$kind"
  rm -rf "$h"
  $B hierarchy create "$h" --base "$OUT/m0" --prefix 32
  extra=""; [ "$kind" = cheap ] && extra="--train-only ln_|bias"
  $B hierarchy recruit "$h" $REC $extra > "$OUT/recruit-$kind.log" 2>&1
  cat "$OUT/recruit-$kind.log"
  # what recruitment built, on held-out text; then routing against the prefix it listens to
  $B hierarchy eval "$h" $EVAL $(pairs "$h" accepted) --attention | tee "$OUT/eval-$kind.md"
  for p in 8 64 96; do
    $B hierarchy eval "$h" $EVAL $(pairs "$h" accepted) --prefix $p --json > "$OUT/eval-$kind-prefix-$p.json"
  done
  # every candidate in, accepted or not: what the specialists would buy
  rm -rf "$OUT/all-$kind"
  $B hierarchy create "$OUT/all-$kind" --base "$OUT/m0" --prefix 32 $(pairs "$h" all)
  $B hierarchy eval "$OUT/all-$kind" $EVAL --attention | tee "$OUT/eval-all-$kind.md"
  $B hierarchy eval "$OUT/all-$kind" $EVAL --json > "$OUT/eval-all-$kind.json"
  for p in 8 64 96; do
    $B hierarchy eval "$OUT/all-$kind" $EVAL --prefix $p --json > "$OUT/eval-all-$kind-prefix-$p.json"
  done
done
