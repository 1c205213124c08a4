#!/usr/bin/env python3
"""Recruitment decisions on topic corpora held against the truth (issue 20, docs/recruitment.md).

A split is *right* when every side of it holds one or more whole true blocks and no part of
another (shared tokens aside: truth.json lists them apart); anything else (a topic cut, a side
of shared tokens only) is *wrong*. Each scored decision is also sorted by the criterion's two
conditions: the point estimate (Delta L_total < -theta per block added) and the interval (Delta L_total_hi < 0).

  recruit_decisions.py first RUN TRUTH LABEL...   one table row: the run's first decision
  recruit_decisions.py summary RUN:TRUTH ...      counts over every scored decision of the runs
"""
import json
import sys


def audit(run):
    with open(run + "/recruit.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]


def true_blocks(truth):
    with open(truth) as f:
        return [set(b["types"]) for b in json.load(f)["blocks"]]


def sides(d):
    return [d["tokens"]] + [b["tokens"] for b in d.get("more_blocks", [])] + \
        ([d["second_tokens"]] if "second_tokens" in d else [])  # logs before 2026-12-05


def whole(tokens, blocks):
    """The number of true blocks a side holds whole, or "cut" if it holds part of one."""
    words = set(tokens) & set().union(*blocks)
    held = [b for b in blocks if b <= words]
    return str(len(held)) if words == set().union(*held) else "cut"


def right(d, blocks):
    return all(whole(s, blocks) not in ("cut", "0") for s in sides(d))


def first(run, truth, label):
    d = audit(run)[0]
    if "terms" not in d:
        print(f"| {label} | {d['decision']} | | | | | |")
        return
    blocks, i = true_blocks(truth), d["delta_L_data_interval"]
    print(f"| {label} | {d['decision']} | {' + '.join(str(len(s)) for s in sides(d))} | "
          f"{' + '.join(whole(s, blocks) for s in sides(d))} | {d['terms']['delta_L_data']:+.4f} | "
          f"[{i['lo']:+.4f}, {i['hi']:+.4f}] | {i['hi'] - i['lo']:.4f} |")


def summary(pairs):
    rows = {}
    for pair in pairs:
        run, truth = pair.split(":", 1)
        blocks = true_blocks(truth)
        for d in audit(run):
            if "terms" not in d:
                continue
            t = d["terms"]
            gain = t["delta_L_total"] < -t.get("threshold", t["theta"])  # theta per block added
            kind = "no gain" if not gain else "gain, sure (accepted)" if t["delta_L_total_hi"] < 0 \
                else "gain, interval above 0 (rejected)"
            rows.setdefault(kind, [0, 0])[0 if right(d, blocks) else 1] += 1
    print("| decision | right splits | wrong splits |")
    print("|---|---|---|")
    for kind in ("gain, sure (accepted)", "gain, interval above 0 (rejected)", "no gain"):
        r, w = rows.get(kind, [0, 0])
        print(f"| {kind} | {r} | {w} |")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "first":
        first(sys.argv[2], sys.argv[3], " | ".join(sys.argv[4:]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "summary":
        summary(sys.argv[2:])
    else:
        sys.exit(__doc__)
