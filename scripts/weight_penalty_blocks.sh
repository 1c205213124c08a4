#!/usr/bin/env bash
# R_W tied to blocks (docs/theory.md): the weight-group penalty alone (the dial's logit bias off)
# on the synthetic corpus with vocab blocks (its 4 true blocks + "other"), with and without
# block-structured units (--block-units 5: each block's tokens read through their own unit group
# of d_model), alpha_W swept; on whole unit groups and on the cross-block terms only
# (--cross-groups); AdamW + prox and proximal gradient descent (--optimizer sgd).
# Each run: `localist eval --json` (perplexity, block fidelity, entropy, zero groups) and
# `localist threshold --json` (the KKT ratios, on the groups each run penalises), test split; a
# table and OUT_DIR/figures.json (`localist report OUT_DIR`). Trained models are reused.
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
python3 - "$O" "$(dirname "$0")" <<'PY'
import json, sys, glob, os
o, here = sys.argv[1], sys.argv[2]
sys.path.insert(0, here)
from figures import chart, series, write_figures
runs = {}
print("| run | ppl | block fidelity | entropy (bits) | zero groups | KKT groups | KKT inactive pass | active ratio min..max |")
print("|---|---|---|---|---|---|---|---|")
for f in sorted(glob.glob(o + "/*.eval.json")):
    name = os.path.basename(f)[:-10]
    e, t = json.load(open(f)), json.load(open(f"{o}/{name}.thr.json"))
    k, groups = t["kkt"], e.get("cross_groups") or e["weight_groups"]
    runs[name] = dict(ppl=e["perplexity"], fid=e["block_fidelity"], zero=groups["zero_groups"] / groups["groups"])
    print(f"| {name} | {e['perplexity']:.3f} | {e['block_fidelity']:.3f} | {e['attention_entropy_bits']:.3f} | "
          f"{groups['zero_groups']}/{groups['groups']} | {'cross' if k.get('cross_groups') else 'unit'} {k['groups']} | "
          f"{k['pass']}/{k['inactive']} | {k['active_ratio_min']} .. {k['active_ratio_max']} |")
def line(label, names, xs, key):
    kept = [(x, n) for x, n in zip(xs, names) if n in runs]
    return series(label, [x for x, _ in kept], [runs[n][key] for _, n in kept])
adam = [0, 0.3, 1, 3]
whole = ["units_w0", "units_w0.3", "units_w1", "units_w3"]
cross = ["units_w0", "cross_w0.3", "cross_w1", "cross_w3"]  # at alpha 0 the two are one model
plain = ["plain_w0", "plain_w3"]
sgd_a = [0.0001, 0.001, 0.01]
sgd = [f"units_w{a}_sgd" for a in sgd_a]
charts = []
for key, title, ylab, log in (("fid", "Block fidelity against alpha_W", "block fidelity", False),
                              ("ppl", "Perplexity against alpha_W", "perplexity (log)", True),
                              ("zero", "Penalised groups at exactly zero", "share of the groups", False)):
    charts.append(chart(title + " (AdamW + prox)", "alpha_W", ylab,
                        [line("block units, whole unit groups", whole, adam, key),
                         line("block units, cross-block groups (--cross-groups)", cross, adam, key),
                         line("arbitrary unit groups (no block units)", plain, [0, 3], key)], log_y=log))
charts.append(chart("Proximal gradient descent (--optimizer sgd, lr 2)", "alpha_W (log)", "block fidelity",
                    [line("block units, whole unit groups", sgd, sgd_a, "fid")], log_x=True))
base = runs.get("units_w0_sgd")
write_figures(o, "R_W tied to blocks: the weight-group penalty alone, the logit bias off",
              f"scripts/weight_penalty_blocks.sh {o}: demo model 2L x 4H d64 T64, 1,500 steps, synthetic corpus, "
              "vocab blocks (its 4 true blocks + other), lambda 1, --logit-bias false, 5 unit groups; eval and "
              "threshold (KKT) on the test split." +
              (f" Prox-SGD at alpha_W 0 (off the log axis): block fidelity {base['fid']:.3f}." if base else ""), charts)
PY
