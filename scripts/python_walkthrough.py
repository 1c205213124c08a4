"""The walkthrough of docs/python.md, run end to end: every output shown there comes from this.
Usage: .venv/bin/python scripts/python_walkthrough.py RUN OUT_DIR [HIERARCHY TEXT_FILE]
(RUN: a `localist train` run; OUT_DIR receives attention.png; HIERARCHY: a `localist hierarchy
create` directory, routed on the first 64 tokens of TEXT_FILE)."""
import sys
from pathlib import Path

import torch

import localist

run, out = sys.argv[1], Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(0)

# 1. load, encode, the dial
m = localist.load(run)
print(m)
text = "a1 b2 a3 b4\nb1 a2 b3 a4\n"
ids = m.encode(text)
print("tokens:", len(ids), ids[:8], "->", repr(m.decode(ids[:8])))
for lam in (0.0, 0.6, 1.0):
    p = torch.softmax(m.logits(ids, lam=lam)[-2], -1)
    print(f"lambda {lam}: p(next = {m.decode([ids[-1]])!r}) = {p[ids[-1]]:.4f}")

# 2. the attention pattern per dial setting, and its heatmap
patterns = {lam: m.attention(ids, lam=lam, kappa=float("inf")) for lam in (0.0, 1.0)}  # (L, H, T, T)
for lam, a in patterns.items():
    print(f"lambda {lam}: attention {tuple(a.shape)}, last layer head 0, query 6 reads keys",
          [round(float(x), 2) for x in a[-1, 0, 6, :7]])
import matplotlib
matplotlib.use("Agg")  # no display needed; in a notebook, leave this out
import matplotlib.pyplot as plt
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, (lam, a) in zip(axes, patterns.items()):
    ax.imshow(a[-1, 0].numpy(), cmap="viridis", vmin=0, vmax=1)
    ax.set_title(f"layer {a.shape[0] - 1}, head 0, lambda {lam}")
    ax.set_xlabel("key")
    ax.set_ylabel("query")
fig.tight_layout()
fig.savefig(out / "attention.png", dpi=80)
print("saved", out / "attention.png")

# 3. the cache, and a patch: every query of the last layer reads the first token only
logits, cache = m.run_with_cache(ids)
print("cache:", len(cache), "activations, e.g.",
      {k: tuple(v.shape) for k, v in list(cache.items())[:3]})
last = m.cfg["n_layer"] - 1


def first_key_only(pattern, hook):
    p = torch.zeros_like(pattern)
    p[..., 0] = 1.0
    return p


patched = m.run_with_hooks(ids, fwd_hooks=[(f"blocks.{last}.attn.hook_pattern", first_key_only)])
print(f"patched layer {last}: max |logit change| = {(patched - logits[0]).abs().max():.3f}")

# 4. the numbers the CLI prints, as dicts
for lam in (0.0, 0.6, 1.0):
    r = m.metrics(split="test", lam=lam)
    print(f"metrics lambda {lam}: perplexity {r['perplexity']:.3f}, accuracy {r['accuracy']:.3f}, "
          f"entropy {r['attention_entropy_bits']:.3f} bits, block fidelity {r['block_fidelity']:.3f}")
e = m.explain(text, lam=1.0)
t = e["per_token"][5]
print("explain:", e["summary"]["block_fidelity"], "| token 5", repr(t["text"]), "reads block",
      t["mean"]["top_block_name"], f"({t['mean']['top_block_mass']:.2f}), predicts", repr(t["predicted"]["text"]))

# 5. a hierarchy: which member the router chose for a segment, and why
if len(sys.argv) > 4:
    h = localist.load(sys.argv[3])
    print(h)
    seg = h.encode(Path(sys.argv[4]).read_text())[:64]
    for routing in ("hard", "soft"):
        r = h.route(seg, routing=routing)
        print(f"{routing}: chosen {r['chosen']!r}, share", {k: round(v, 3) for k, v in r["share"].items()},
              f"perplexity {torch.exp(r['nll'].mean()):.3f}")
    print("prefix NLL per member (nats):", {k: round(float(x), 2) for k, x in zip(h.members, r["member_nll"][:, :h.prefix].sum(1))})
    # the whole of `localist hierarchy eval --json` on texts: each alphabet's text as its domain
    text = Path(sys.argv[4]).read_text()
    e = h.evaluate({"b": text[:2000], "a": text[:2000].translate(str.maketrans("qrstuvw", "abcdefg"))},
                   segment_tokens=64, max_segments=20)
    for d in e["domains"]:
        print(f"evaluate {d['domain']}: ppl base {d['ppl_base']:.3f}, hard {d['ppl_hard']:.3f}, soft {d['ppl_soft']:.3f},"
              f" oracle {d['ppl_oracle']:.3f}, routing accuracy {d['routing_accuracy']:.2f}")
