#!/usr/bin/env bash
# The threshold validated (docs/theory.md): the attention-group penalty alone (the dial's logit
# bias off) swept over alpha on the synthetic corpus; each checkpoint measured by
# `localist threshold` and `localist eval` on the test split.
# Usage: scripts/threshold_sweep.sh OUT_DIR [ALPHA ...]   (B=path/to/localist; 27-155 s per alpha)
set -euo pipefail
B=${B:-build/localist}
O=${1:?usage: threshold_sweep.sh OUT_DIR [ALPHA ...]}
shift
ALPHAS=${*:-0 0.01 0.03 0.1 0.3 1 3 10 1000 1000000}
C="--n-layer 2 --n-head 4 --n-embd 64 --context 64 --batch-size 16 --max-steps 1500 --warmup 50 \
   --lr 3e-3 --eval-interval 1500 --eval-tokens 5000 --log-interval 500 --synth-tokens 100000 \
   --blocks segment --lambda 1 --logit-bias false"
mkdir -p "$O"
for a in $ALPHAS; do
  d="$O/a_$a"
  [ -f "$d/checkpoint/checkpoint.json" ] || $B train --out "$d" $C --alpha-att "$a" > "$d.train.log" 2>&1
  $B threshold "$d" --split test --json > "$d.thr.json"
  $B eval "$d" --split test --json > "$d.eval.json"
done
python3 - "$O" "$(dirname "$0")" $ALPHAS <<'PY'
import json, sys
o, here, alphas = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.path.insert(0, here)
from figures import chart, series, write_figures
print("| alpha_att | penalty per group | ppl | block fidelity | entropy (bits) | own delta p5 | threshold min..max | heads provable |")
print("|---|---|---|---|---|---|---|---|")
rows = []
for a in alphas:
    t, e = json.load(open(f"{o}/a_{a}.thr.json")), json.load(open(f"{o}/a_{a}.eval.json"))
    thr = [x for r in t["threshold_own_block"] for x in r if x is not None]
    du = [x for r in t["delta_uniform"] for x in r if x is not None]
    conc = sum(x for r in t["concentrates_attention_penalty"] for x in r)
    pen = t["layers"][0]["attention_penalty_effective"]
    rows.append(dict(pen=pen, ppl=e["perplexity"], fid=e["block_fidelity"], du_min=min(du), du_max=max(du),
                     thr_min=min(thr), conc=conc / len(du)))
    print(f"| {a} | {pen:.3g} | {e['perplexity']:.3f} | "
          f"{e['block_fidelity']:.3f} | {e['attention_entropy_bits']:.3f} | {min(du):.1f} .. {max(du):.1f} | "
          f"{min(thr):.3g} .. {max(thr):.3g} | {conc}/{len(du)} |")
pred = rows[0]  # the prediction is the first (unpenalised) model's
x = [r["pen"] for r in rows]
col = lambda k: [r[k] for r in rows]
vline = series(f"threshold predicted from the alpha = {alphas[0]} model (least head)",
               [pred["thr_min"]] * 2, [0, 1])
axis = "attention-group penalty per group (log)"
charts = [
    chart("Block fidelity against the penalty", axis, "block fidelity",
          [series("measured (test split)", x, col("fid")), vline], log_x=True),
    chart("Perplexity against the penalty", axis, "perplexity (log)",
          [series("measured (test split)", x, col("ppl"))], log_x=True, log_y=True),
    chart("Heads the formula calls provable", axis, "share of heads",
          [series("penalty above the head's own predicted threshold", x, col("conc")), vline], log_x=True),
    chart("The model's own uniform margin (bias off)", axis, "p5 margin over queries, nats",
          [series("least head", x, col("du_min")), series("greatest head", x, col("du_max"))], log_x=True),
]
write_figures(o, "The threshold validated: the attention-group penalty swept, the logit bias off",
              f"scripts/threshold_sweep.sh {o} (alpha_att {' '.join(alphas)}); demo model 2L x 4H d64 T64, "
              "1,500 steps, synthetic corpus, segment blocks, lambda 1, --logit-bias false; threshold and eval on "
              f"the test split. The alpha = {alphas[0]} point (penalty {pred['pen']:.3g}) is off the log axis: "
              f"block fidelity {pred['fid']:.3f}, perplexity {pred['ppl']:.2f}.", charts)
PY
