#!/usr/bin/env bash
# R_W tied to blocks (docs/theory.md): the weight-group penalty alone (the dial's logit bias off)
# on the synthetic corpus with vocab blocks (its 4 true blocks + "other"), with and without
# block-structured units (--block-units 5: each block's tokens read through their own unit group
# of d_model), alpha_W swept; on whole unit groups and on the cross-block terms only
# (--cross-groups); AdamW + prox and proximal gradient descent (--optimizer sgd).
# Each run: `localist eval --json` (perplexity, block fidelity, entropy, zero groups) and
# `localist threshold --json` (the KKT ratios), test split.
# Usage: scripts/weight_penalty_blocks.sh OUT_DIR     (B=path/to/localist; ~10 min on 2 cores)
set -euo pipefail
B=${B:-build/localist}
O=${1:?usage: weight_penalty_blocks.sh OUT_DIR}
mkdir -p "$O"
cat > "$O/rules.json" <<'JSON'
{"blocks": [{"name": "A", "patterns": ["^[Aa]([0-9]+|_)$"]}, {"name": "B", "patterns": ["^[Bb]([0-9]+|_)$"]},
            {"name": "C", "patterns": ["^[Cc]([0-9]+|_)$"]}, {"name": "D", "patterns": ["^[Dd]([0-9]+|_)$"]}]}
JSON
C="--n-layer 2 --n-head 4 --n-embd 64 --context 64 --batch-size 16 --max-steps 1500 --warmup 50 \
   --eval-interval 1500 --eval-tokens 5000 --log-interval 500 --synth-tokens 100000 \
   --blocks vocab --rules $O/rules.json --lambda 1 --logit-bias false --unit-groups 5"
run() {  # name, flags
  local d="$O/$1"; shift
  [ -f "$d/checkpoint/checkpoint.json" ] || $B train --out "$d" $C "$@" > "$d.train.log" 2>&1
  $B eval "$d" --split test --json > "$d.eval.json"
  $B threshold "$d" --split test --json > "$d.thr.json"
}
run plain_w0 --lr 3e-3 --alpha-w 0
run plain_w3 --lr 3e-3 --alpha-w 3
run units_w0 --lr 3e-3 --alpha-w 0 --block-units 5
run units_w0.3 --lr 3e-3 --alpha-w 0.3 --block-units 5
run units_w1 --lr 3e-3 --alpha-w 1 --block-units 5
run units_w3 --lr 3e-3 --alpha-w 3 --block-units 5
for a in 0.3 1 3; do  # the penalty on the cross-block terms only (--cross-groups)
  run cross_w$a --lr 3e-3 --alpha-w $a --block-units 5 --cross-groups
done
for a in 0 0.0001 0.001 0.01; do  # the prox step is lr * alpha_W: SGD's large lr needs a small alpha
  run units_w${a}_sgd --lr 2 --weight-decay 0 --alpha-w $a --block-units 5 --optimizer sgd
done
python3 - "$O" <<'PY'
import json, sys, glob, os
o = sys.argv[1]
print("| run | ppl | block fidelity | entropy (bits) | zero groups | KKT inactive pass | active ratio min..max |")
print("|---|---|---|---|---|---|---|")
for f in sorted(glob.glob(o + "/*.eval.json")):
    name = os.path.basename(f)[:-10]
    e, t = json.load(open(f)), json.load(open(f"{o}/{name}.thr.json"))
    k = t["kkt"]
    print(f"| {name} | {e['perplexity']:.3f} | {e['block_fidelity']:.3f} | {e['attention_entropy_bits']:.3f} | "
          f"{e['weight_groups']['zero_groups']}/{e['weight_groups']['groups']} | {k['pass']}/{k['inactive']} | "
          f"{k['active_ratio_min']} .. {k['active_ratio_max']} |")
PY
