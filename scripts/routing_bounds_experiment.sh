#!/usr/bin/env bash
# Hard vs soft routing against each member's concentration guarantee (docs/theory.md, "Hard routing
# keeps concentration"): a character hierarchy whose members have several blocks and different
# block maps (base window:8 on Tiny Shakespeare + the synthetic corpus; specialists fine-tuned
# from it with window:16 on Shakespeare and window:32 on synthetic text), then
# `hierarchy eval --bounds --json` at kappa 10 (the trained one), 20, 30, 50, 100 and with a hard
# mask; a table and OUT_DIR/figures.json (`localist report OUT_DIR`). Trained models are reused.
# Usage: scripts/routing_bounds_experiment.sh OUT_DIR    (B=path/to/localist; ~5 min on 2 cores)
set -euo pipefail
B=${B:-build/localist}
O=${1:?usage: routing_bounds_experiment.sh OUT_DIR}
D=${DATA:-../shared/data}
mkdir -p "$O"
python3 - "$D" "$O" <<'PY'
import sys
d, out = sys.argv[1:]
def cut(t, f):  # split at a line boundary
    i = t.rfind("\n", 0, int(len(t) * f)) + 1
    return t[:i], t[i:]
tr, te = cut(open(d + "/tinyshakespeare/input.txt").read(), 0.9)
tr, va = cut(tr, 0.95)
for name, text in (("sh_train", tr), ("sh_valid", va), ("sh_test", te)):
    open(f"{out}/{name}.txt", "w").write(text)
PY
$B synth --out "$O/sy_all.txt" --synth-tokens 200000 --synth-recall 0.5 > /dev/null
$B synth --out "$O/sy_test.txt" --split test --synth-tokens 200000 --synth-recall 0.5 > /dev/null
python3 - "$O" <<'PY'
import sys
o = sys.argv[1]
t = open(o + "/sy_all.txt").read()
i = t.rfind("\n", 0, int(len(t) * 0.95)) + 1
open(o + "/sy_train.txt", "w").write(t[:i]); open(o + "/sy_valid.txt", "w").write(t[i:])
open(o + "/mix_train.txt", "w").write(open(o + "/sh_train.txt").read() + t[:i])
open(o + "/mix_valid.txt", "w").write(open(o + "/sh_valid.txt").read() + t[i:])
PY
C="--n-layer 2 --n-head 4 --n-embd 64 --block-size 128 --batch-size 16 --warmup 50 --lr 3e-3 \
   --eval-interval 800 --eval-tokens 5000 --log-interval 400 --lambda 1 --kappa 10"
[ -f "$O/m0/checkpoint/checkpoint.json" ] || $B train --out "$O/m0" --data '' --train-file "$O/mix_train.txt" --valid-file "$O/mix_valid.txt" \
  --tokenizer char $C --max-steps 800 --blocks window:8 > "$O/m0.log" 2>&1
[ -f "$O/sh/checkpoint/checkpoint.json" ] || $B train --out "$O/sh" --init-from "$O/m0" --data '' --train-file "$O/sh_train.txt" \
  --valid-file "$O/sh_valid.txt" $C --max-steps 600 --blocks window:16 > "$O/sh.log" 2>&1
[ -f "$O/sy/checkpoint/checkpoint.json" ] || $B train --out "$O/sy" --init-from "$O/m0" --data '' --train-file "$O/sy_train.txt" \
  --valid-file "$O/sy_valid.txt" $C --max-steps 600 --blocks window:32 > "$O/sy.log" 2>&1
rm -rf "$O/H"
$B hierarchy create "$O/H" --base "$O/m0" --member shakespeare="$O/sh" --member synthetic="$O/sy" \
  --routing hard --prefix 32
E="--domain shakespeare=$O/sh_test.txt --domain synthetic=$O/sy_test.txt --segment-tokens 128 \
   --max-segments 100 --bounds --json"
KAPPAS="10 20 30 50 100 inf"  # 10 = the trained kappa; inf = a hard mask
for k in $KAPPAS; do $B hierarchy eval "$O/H" $E --kappa "$k" > "$O/eval_kappa$k.json"; done
python3 - "$O" "$(dirname "$0")" $KAPPAS <<'PY'
import json, sys
o, here, kappas = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.path.insert(0, here)
from figures import chart, series, write_figures
runs = {k: json.load(open(f"{o}/eval_kappa{k}.json")) for k in kappas}
f1 = lambda v: f"{v:.1f}" if isinstance(v, (int, float)) else str(v)  # a hard mask's margin is "inf"
members = list(runs[kappas[0]]["bounds"]["members"])
print("| kappa | member | own p5 margin | hard: queries, off-target mass, within bound | soft: queries, mean weight, off-target mass, within bound, within mixed bound |")
print("|---|---|---|---|---|")
for k in kappas:
    for m in members:
        b = runs[k]["bounds"]["members"][m]
        h, s = b["hard"], b["soft"]
        print(f"| {k} | {m} | {f1(b['uniform_margin'])} | {h['queries']}, {h['off_target_mass']:.3g}, {h['within_bound']:.3f} | "
              f"{s['queries']}, {s['weight']:.2f}, {s['off_target_mass']:.3g}, {s['within_bound']:.3f}, {s['within_mixed_bound']:.3f} |")
print("\nperplexity (all segments): " + "; ".join(
    f"kappa {k}: base {r['all']['ppl_base']:.2f}, hard {r['all']['ppl_hard']:.2f}, soft {r['all']['ppl_soft']:.2f}, "
    f"oracle {r['all']['ppl_oracle']:.2f}" for k, r in runs.items()))
finite = [k for k in kappas if k != "inf"]
x = [float(k) for k in finite]
get = lambda m, how, key: [runs[k]["bounds"]["members"][m][how][key] for k in finite]
charts = []
for m in members:
    charts.append(chart(f"{m}: audited queries within its Lemma-1 bound", "kappa at inference (log)",
                        "share of the member's queries",
                        [series("hard routing", x, get(m, "hard", "within_bound")),
                         series("soft routing", x, get(m, "soft", "within_bound"))], log_x=True))
    charts.append(chart(f"{m}: off-target mass of the attention it audits", "kappa at inference (log)",
                        "mean mass off the target block (log)",
                        [series("hard routing", x, get(m, "hard", "off_target_mass")),
                         series("soft routing", x, get(m, "soft", "off_target_mass"))], log_x=True, log_y=True))
hard_mask = ""
if "inf" in runs:
    hard_mask = " With a hard mask (kappa inf), within bound, hard / soft: " + "; ".join(
        f"{m} {runs['inf']['bounds']['members'][m]['hard']['within_bound']:.3f} / "
        f"{runs['inf']['bounds']['members'][m]['soft']['within_bound']:.3f}" for m in members) + "."
write_figures(o, "Hard against soft routing: each member's concentration guarantee",
              f"scripts/routing_bounds_experiment.sh {o}: a character hierarchy (base window:8 on Tiny Shakespeare's "
              "first 90 % + the synthetic corpus; specialists fine-tuned with window:16 on Shakespeare and window:32 "
              "on synthetic text), hierarchy eval --bounds on Shakespeare's last 10 % and the synthetic test split "
              "(100 segments of 128 tokens each, routing prefix 32), kappa moved at inference." + hard_mask, charts)
PY
