"""lm-evaluation-harness against `localist serve` (tests/serve/test_serve_cli.cpp): its
`local-completions` model with the served tokenizer (`tokenizer_backend=remote`: /tokenizer_info,
/tokenize) runs a loglikelihood task and a rolling-loglikelihood (perplexity) task made here from
local JSON files (no network). Each of its per-sample numbers must equal the sum of the server's own
`echo` log-probabilities over the same tokens, asked for directly.
Usage: lm_eval_client.py BASE_URL MODEL CONTEXT_LENGTH WORKDIR. Prints the harness's table and "ok"."""
import json
import math
import os
import sys
import urllib.request

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import lm_eval  # noqa: E402
from lm_eval.tasks import TaskManager  # noqa: E402

import http_post  # noqa: E402

base, model, context, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
os.makedirs(work, exist_ok=True)


def post(path, body):
    status, raw = http_post.post(base + path, body)
    assert status == 200, (path, status, raw[:300])
    return json.loads(raw)


def scored(ids):
    """The server's log-probabilities of ids[1:], each given the ones before it (echo, nothing
    generated). The harness's own requests generate one token more: the same numbers to float rounding."""
    out = post("/v1/completions", {"model": model, "prompt": ids, "max_tokens": 0, "echo": True, "logprobs": 1})
    lp = out["choices"][0]["logprobs"]
    assert lp["token_logprobs"][0] is None and len(lp["token_logprobs"]) == len(ids), lp
    return lp["token_logprobs"][1:], lp["top_logprobs"][1:]


def tokens(text):
    return post("/tokenize", {"prompt": text})["tokens"]


pairs = [("a1 b1 b2", " a2"), ("a3 a4", " b5 b6"), ("B1 b2 a1", " a1 a1"), ("b2", " b3 a1 A2 b4")]
texts = ["a1 b1 b2 a2 a3 b4 b5", "b3 b4 A1 a2\nb1 a1"]
files = {"ll": [{"context": c, "continuation": x} for c, x in pairs], "roll": [{"text": t} for t in texts]}
for name, docs in files.items():
    with open(os.path.join(work, name + ".jsonl"), "w") as f:
        f.writelines(json.dumps(d) + "\n" for d in docs)
task = """task: localist_{name}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {work}/{name}.jsonl
test_split: test
output_type: {kind}
doc_to_text: "{text}"
doc_to_target: "{target}"
metric_list:
{metrics}
"""
for name, kind, text, target, metrics in [
        ("ll", "loglikelihood", "{{context}}", "{{continuation}}", ["perplexity", "acc"]),
        ("roll", "loglikelihood_rolling", "", "{{text}}", ["word_perplexity", "bits_per_byte"])]:
    with open(os.path.join(work, name + ".yaml"), "w") as f:
        f.write(task.format(name=name, work=work, kind=kind, text=text, target=target,
                            metrics="".join(f"  - metric: {m}\n" for m in metrics)))

results = lm_eval.simple_evaluate(
    model="local-completions",
    model_args=f"base_url={base}/v1/completions,model={model},tokenizer_backend=remote,max_length={context + 1}",
    tasks=["localist_ll", "localist_roll"], task_manager=TaskManager(include_path=work), log_samples=True)
print(lm_eval.utils.make_table(results))

# loglikelihood: the continuation's tokens scored after the context's (the harness's split)
for s in results["samples"]["localist_ll"]:
    ctx, cont = s["arguments"][0]
    whole, own = tokens(ctx + cont), tokens(ctx)
    lps, tops = scored(whole)
    ours = sum(lps[len(own) - 1:])
    greedy = all(lp == max(t.values()) for lp, t in zip(lps[len(own) - 1:], tops[len(own) - 1:]))
    theirs, their_greedy = s["resps"][0][0]
    assert math.isclose(float(theirs), ours, rel_tol=0, abs_tol=1e-6), (ctx, cont, theirs, ours)
    assert bool(their_greedy) == greedy, (ctx, cont, their_greedy, greedy)

# rolling: every token of the text scored after the end-of-text token (the harness's prefix)
with urllib.request.urlopen(base + "/tokenizer_info") as r:
    eos_id = tokens(json.loads(r.read())["eos_token"])[0]
for s in results["samples"]["localist_roll"]:
    text = s["arguments"][0][0]
    ours = sum(scored([eos_id] + tokens(text))[0])
    theirs = s["resps"][0][0]
    assert math.isclose(float(theirs), ours, rel_tol=0, abs_tol=1e-6), (text, theirs, ours)
print("ok")
