#!/usr/bin/env python3
"""Block recruitment measured on corpus sets (docs/recruitment.md, issue 37): runs a grid of
(corpus x criterion) training runs two at a time, skips runs already finished, and prints one
markdown table per set with exact true blocks, ARI, test perplexity against a one-block run of
the same corpus, and for phased corpora the block count at the end of each phase.

  python3 scripts/recruit_eval.py OUT SET [SET ...] [--seeds 501 502 503] [--criteria pointer likelihood seed]
                                  [--jobs 2] [--steps 1500] [--finetune 100] [--extra "..."]

Sets (corpora are made under OUT/corpora, once):
  topics    `localist synth --family topics`, K* = 2, 4, 8
  other     scripts/other_corpora.py docs, agree, mix with K* = 4 (generators the method was not built on)
  null      nothing to find: topics K* = 1, topics --topic-shuffled K* = 4, other_corpora k1 and shuffled
  phased    topics K* = 4 and 6 whose topics arrive in 3 phases (train --phase, steps split evenly)
The command is the one docs/recruitment.md recommends (a 1-layer model, d = 32, 2 heads, T = 128).
The null set has no one-block runs (there is nothing to compare a recruited block with).

  python3 scripts/recruit_eval.py OUT --stability [--seeds ...] [--finetunes 100 200 400]
the first decision (step 100) of topics K* = 2, 4, 8, docs, agree, mix and topics-shuffled, with
training seeds 1..3 and each fine-tune length: does the decision agree across lengths?

  python3 scripts/recruit_eval.py OUT --dial [--seeds ...]
topics K* = 4 and docs K* = 4 trained three ways (recruitment under --lambda-sample 0:1, one block
under --lambda-sample 0:1, recruitment at lambda = 1), each evaluated at lambda = 0, 0.2, ..., 1.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
B = os.environ.get("B", os.path.join(HERE, "..", "build", "localist"))
MODEL = ("--tokenizer word --n-layer 1 --n-head 2 --n-embd 32 --block-size 128 --batch-size 16 "
         "--log-interval 500 --threads 1 --blocks vocab --lambda 1").split()


def sh(args, log=None):
    with open(log, "w") if log else open(os.devnull, "w") as out:
        return subprocess.run([str(a) for a in args], stdout=out, stderr=subprocess.STDOUT).returncode


def corpora(out, name, seeds):
    """(label, K*, seed, dir, phases) of a set, made if missing."""
    made = []
    for seed in seeds:
        if name == "topics":
            specs = [(f"topics-k{k}", k, ["--synth-blocks", k]) for k in (2, 4, 8)]
        elif name == "null":
            specs = [("topics-k1", 1, ["--synth-blocks", 1, "--topic-cross-rate", 0]),
                     ("topics-shuffled", 4, ["--synth-blocks", 4, "--topic-shuffled"]),
                     ("docs-k1", 1, "k1"), ("docs-shuffled", 4, "shuffled")]
        elif name == "other":
            specs = [(f"{f}-k4", 4, f) for f in ("docs", "agree", "mix")]
        elif name == "phased":
            specs = [(f"phased-k{k}", k, ["--synth-blocks", k, "--topic-phases", 3]) for k in (4, 6)]
        else:
            sys.exit(f"recruit_eval: unknown set '{name}' (topics, other, null, phased)")
        for label, k, how in specs:
            d = os.path.join(out, "corpora", f"{label}-s{seed}")
            if not os.path.exists(os.path.join(d, "truth.json")):
                if isinstance(how, str):
                    cmd = [sys.executable, os.path.join(HERE, "other_corpora.py"), how, d, "--topics", k, "--seed", seed]
                else:
                    cmd = [B, "synth", "--family", "topics", "--out", d, "--synth-seed", seed, "--synth-tokens", 300000] + how
                if sh(cmd) != 0:
                    sys.exit(f"recruit_eval: could not make {d}: {' '.join(map(str, cmd))}")
            phases = 3 if name == "phased" else 0
            made.append((label, k, seed, d, phases))
    return made


def train(run, corpus, phases, criterion, args, extra=()):
    if os.path.exists(os.path.join(run, "checkpoint", "checkpoint.json")):
        return
    cmd = [B, "train", "--out", run, "--data", corpus] + MODEL + ["--max-steps", args.steps, "--eval-interval", args.steps]
    if criterion != "one":
        cmd += ["--recruit", "--recruit-finetune", args.finetune, "--recruit-criterion", criterion]
    else:  # the one-block model: vocab blocks with none listed
        one = os.path.join(args.out, "one-block.json")
        if not os.path.exists(one):
            with open(one, "w") as f:
                f.write('{"blocks": []}\n')
        cmd += ["--rules", one]
    for p in range(1, phases + 1):
        cmd += ["--phase", f"{corpus}/phase-{p}.txt:{args.steps // phases}"]
    cmd += args.extra.split() + list(extra)
    if sh(cmd, run + ".log") != 0:
        print(f"recruit_eval: {run} failed (see {run}.log)", file=sys.stderr)


def cli(*a):
    """A `localist ... --json` command's object, or None if it failed."""
    r = subprocess.run([B] + [str(x) for x in a], capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 else None


def blocks_vs_truth(run, corpus):
    return cli("blocks", run, "--json", "--truth", os.path.join(corpus, "truth.json"))


def test_eval(run, *extra):
    """Test perplexity and the rest on the first 20,000 test predictions."""
    return cli("eval", run, "--split", "test", "--json", "--max-tokens", "20000", *extra)


def measure(run, corpus):
    return blocks_vs_truth(run, corpus), test_eval(run)


def phase_check(b, corpus, phases, steps):
    """Blocks at the end of each phase against the topics introduced by then; a block holding a
    topic's words before its phase."""
    truth = json.load(open(os.path.join(corpus, "truth.json")))
    phase_of = {w: blk["phase"] for blk in truth["blocks"] for w in blk["types"]}
    counts, early = [], 0
    decisions = b["recruit"]["decisions"]
    for p in range(1, phases + 1):
        end = steps * p // phases
        upto = [d for d in decisions if d["step"] <= end and d.get("decision") == "accept"]
        counts.append(sum(d["blocks_after"] - d["blocks_before"] for d in upto))
    for d in decisions:
        if d.get("decision") != "accept":
            continue
        now = 1 + (d["step"] - 1) * phases // steps
        words = list(d.get("tokens", [])) + [w for m in d.get("more_blocks", []) for w in m["tokens"]]
        early += sum(1 for w in words if phase_of.get(w, 0) > now)
    topics = [sum(1 for blk in truth["blocks"] if blk["phase"] <= p) for p in range(1, phases + 1)]
    return counts, topics, early


def first_decision(run, corpus, seed, finetune):
    if not os.path.exists(os.path.join(run, "recruit.jsonl")):
        cmd = [B, "train", "--out", run, "--data", corpus] + MODEL + [
            "--max-steps", 100, "--eval-interval", 100, "--seed", seed, "--recruit", "--recruit-finetune", finetune]
        sh(cmd, run + ".log")
    try:
        d = json.loads(open(os.path.join(run, "recruit.jsonl")).readline())
    except (OSError, ValueError):
        return None
    return d


def stability(args):
    corpora_ = [c for s in ("topics", "other") for c in corpora(args.out, s, args.seeds[:1])]
    corpora_ += [c for c in corpora(args.out, "null", args.seeds[:1]) if c[0] == "topics-shuffled"]
    grid = [(c, seed, f) for c in corpora_ for seed in (1, 2, 3) for f in args.finetunes]
    runs = {}
    def go(g):
        (label, k, cseed, corpus, _), seed, f = g
        runs[g] = first_decision(os.path.join(args.out, f"first-{label}-s{cseed}-seed{seed}-ft{f}"), corpus, seed, f)
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(go, grid))
    print(f"| corpus | training seed | " + " | ".join(f"fine-tune {f}" for f in args.finetunes) + " | agree |")
    print("|" + "---|" * (3 + len(args.finetunes)))
    agree = total = 0
    for c in corpora_:
        for seed in (1, 2, 3):
            ds = [runs[(c, seed, f)] for f in args.finetunes]
            cells = [f"{d['decision']} {d['terms']['delta_L_total']:+.4f}" if d and "terms" in d else (d or {}).get("decision", "failed")
                     for d in ds]
            same = len({(d or {}).get("decision") for d in ds}) == 1
            agree += same
            total += 1
            print(f"| {c[0]}-s{c[2]} | {seed} | " + " | ".join(cells) + f" | {'yes' if same else 'no'} |")
    print(f"\n{agree} of {total} first decisions agree across fine-tune lengths {args.finetunes}")
    print_data_spread(corpora_, runs, args.finetunes)


def print_data_spread(corpora_, runs, finetunes):
    """How much Delta L_data moves: its standard deviation over the training seeds of one
    (corpus, length) and over the lengths of one (corpus, seed), each averaged over the cells."""
    def data(c, seed, f):
        d = runs[(c, seed, f)]
        return d["terms"]["delta_L_data"] if d and "terms" in d else None
    scored = [c for c in corpora_ if all(data(c, s, f) is not None for s in (1, 2, 3) for f in finetunes)]
    if not scored:
        return
    seeds_sd = [statistics.stdev([data(c, s, f) for s in (1, 2, 3)]) for c in scored for f in finetunes]
    lengths_sd = [statistics.stdev([data(c, s, f) for f in finetunes]) for c in scored for s in (1, 2, 3)]
    print(f"Delta L_data's sd over training seeds {statistics.mean(seeds_sd):.4f}, over fine-tune lengths "
          f"{statistics.mean(lengths_sd):.4f} nats/token (mean over {len(seeds_sd)} and {len(lengths_sd)} cells)")


def dial(args):
    """A recruited checkpoint along the dial: recruitment under --lambda-sample 0:1 against the
    one-block model trained the same way and the recruited model trained at lambda = 1."""
    corpora_ = [c for c in corpora(args.out, "topics", args.seeds) if c[1] == 4]
    corpora_ += [c for c in corpora(args.out, "other", args.seeds) if c[0] == "docs-k4"]
    arms = {"recruit, sampled": ("pointer", ["--lambda-sample", "0:1"]),
            "one block, sampled": ("one", ["--lambda-sample", "0:1"]),
            "recruit, lambda 1": ("pointer", [])}
    grid = [(c, arm) for c in corpora_ for arm in arms]
    run_of = lambda c, arm: os.path.join(args.out, f"dial-{c[0]}-s{c[2]}-{arm.replace(', ', '-').replace(' ', '')}")
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(lambda g: train(run_of(*g), g[0][3], 0, arms[g[1]][0], args, arms[g[1]][1]), grid))
    lams = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    print("| corpus | arm | blocks | exact | " + " | ".join(f"ppl at {l:g}" for l in lams) + " |")
    print("|" + "---|" * (4 + len(lams)))
    for c, arm in grid:
        run = run_of(c, arm)
        g = blocks_vs_truth(run, c[3])
        ppl = []
        for lam in lams:
            e = test_eval(run, "--threads", 1, "--lambda", lam)
            ppl.append(f"{e['perplexity']:.3f}" if e else "failed")
        blocks = f"{len(g['blocks']) - 1} | {g['agreement']['exact']}/{g['agreement']['true_blocks']}" if g else "failed |"
        print(f"| {c[0]}-s{c[2]} | {arm} | {blocks} | " + " | ".join(ppl) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("sets", nargs="*")
    ap.add_argument("--seeds", nargs="+", type=int, default=[501, 502, 503])
    ap.add_argument("--criteria", nargs="+", default=["pointer", "likelihood", "seed"])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--finetune", type=int, default=100)
    ap.add_argument("--extra", default="")
    ap.add_argument("--stability", action="store_true")
    ap.add_argument("--dial", action="store_true")
    ap.add_argument("--finetunes", nargs="+", type=int, default=[100, 200, 400])
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.stability:
        return stability(args)
    if args.dial:
        return dial(args)
    grid = []
    for s in args.sets:
        for label, k, seed, corpus, phases in corpora(args.out, s, args.seeds):
            for crit in ([] if s == "null" else ["one"]) + args.criteria:
                grid.append((s, label, k, seed, corpus, phases, crit, os.path.join(args.out, f"{label}-s{seed}-{crit}")))
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(lambda g: train(g[7], g[4], g[5], g[6], args), grid))
    for s in args.sets:
        print(f"\n### {s} (seeds {' '.join(map(str, args.seeds))}, {args.steps} steps, fine-tune {args.finetune})\n")
        head = "| corpus | K* | seed | criterion | blocks recruited | exact | ARI | test ppl | vs one block |"
        if s == "phased":
            head += " recruited by phase end | topics by phase end | early words |"
        print(head)
        print("|" + "---|" * (head.count("|") - 1))
        one_ppl = {}
        for (set_, label, k, seed, corpus, phases, crit, run) in grid:
            if set_ != s:
                continue
            b, e = measure(run, corpus)
            if b is None or e is None:
                print(f"| {label} | {k} | {seed} | {crit} | failed | | | | |")
                continue
            ppl = e["perplexity"]
            if crit == "one":
                one_ppl[(label, seed)] = ppl
                continue
            g = b["agreement"]
            recruited = len(b["blocks"]) - 1
            base = one_ppl.get((label, seed))
            rel = f"{100 * (ppl / base - 1):+.1f} %" if base else ""
            row = (f"| {label} | {k} | {seed} | {crit} | {recruited} | {g['exact']}/{g['true_blocks']} | "
                   f"{g['adjusted_rand_index']:.3f} | {ppl:.3f} | {rel} |")
            if s == "phased":
                counts, topics, early = phase_check(b, corpus, phases, args.steps)
                row += f" {counts} | {topics} | {early} |"
            print(row)


if __name__ == "__main__":
    main()
