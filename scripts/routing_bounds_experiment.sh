#!/usr/bin/env bash
# Hard vs soft routing against each member's concentration guarantee (docs/theory.md, "Hard routing
# keeps concentration"): a character hierarchy whose members have several blocks and different
# block maps (base window:8 on Tiny Shakespeare + the synthetic corpus; specialists fine-tuned
# from it with window:16 on Shakespeare and window:32 on synthetic text), then
# `hierarchy eval --bounds` at the trained kappa (10), at kappa 30 and with a hard mask.
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
$B train --out "$O/m0" --data '' --train-file "$O/mix_train.txt" --valid-file "$O/mix_valid.txt" \
  --tokenizer char $C --max-steps 800 --blocks window:8 > "$O/m0.log" 2>&1
$B train --out "$O/sh" --init-from "$O/m0" --data '' --train-file "$O/sh_train.txt" \
  --valid-file "$O/sh_valid.txt" $C --max-steps 600 --blocks window:16 > "$O/sh.log" 2>&1
$B train --out "$O/sy" --init-from "$O/m0" --data '' --train-file "$O/sy_train.txt" \
  --valid-file "$O/sy_valid.txt" $C --max-steps 600 --blocks window:32 > "$O/sy.log" 2>&1
rm -rf "$O/H"
$B hierarchy create "$O/H" --base "$O/m0" --member shakespeare="$O/sh" --member synthetic="$O/sy" \
  --routing hard --prefix 32
E="--domain shakespeare=$O/sh_test.txt --domain synthetic=$O/sy_test.txt --segment-tokens 128 \
   --max-segments 100 --bounds"
$B hierarchy eval "$O/H" $E | tee "$O/eval_kappa10.txt"
$B hierarchy eval "$O/H" $E --kappa 30 | tee "$O/eval_kappa30.txt"
$B hierarchy eval "$O/H" $E --kappa inf | tee "$O/eval_kappa_inf.txt"
