"""The Python API against the CLI, on a tiny run trained here by the CLI: the same numbers for the
same inputs; tensors shared with the C++ model; a patched attention pattern changes the logits as
the forward computed by hand says; errors as LocalistError with the CLI's message.
Run by CTest (CMakeLists.txt) with PYTHONPATH=build/python and LOCALIST_BINARY set."""
import contextlib
import json
import math
import os
import subprocess

import pytest
import torch

import localist

BINARY = os.environ.get("LOCALIST_BINARY", "build/localist")
TEXT = "a1 b2 a3 b4 a5\nb1 a2 b3 a4 b5\n"


def cli(*args, check=True, threads=True):
    r = subprocess.run([BINARY, *args, *(["--threads", "1"] if threads else [])], capture_output=True, text=True)
    if check:
        assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="session")
def run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("runs") / "tiny")
    cli("train", "--out", out, "--n-layer", "2", "--n-head", "2", "--n-embd", "32", "--block-size", "32",
        "--batch-size", "8", "--max-steps", "40", "--synth-tokens", "20000", "--device", "cpu",
        "--blocks", "segment", "--lambda", "1", "--log-interval", "40")
    return out


@pytest.fixture(scope="session")
def model(run):
    torch.set_num_threads(1)
    return localist.load(run)


def close(a, b, path=""):
    """Equal JSON values, numbers to float rounding (the CLI and Python may use other thread counts)."""
    if isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-7), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def test_metrics_equal_eval_json(run, model):
    for lam in (0.0, 0.6):
        mine = model.metrics(split="test", lam=lam, max_tokens=2000)
        theirs = json.loads(cli("eval", run, "--json", "--split", "test", "--lambda", str(lam),
                                "--max-tokens", "2000", "--device", "cpu").stdout)
        close(mine, theirs)
    assert model.metrics(split="test", lam=0.0)["attention_entropy_bits"] > \
        model.metrics(split="test", lam=1.0, kappa=float("inf"))["attention_entropy_bits"]


def test_threshold_equals_threshold_json(run, model):
    mine = model.threshold(lam=0.6, max_tokens=500, margin_percentile=10)
    theirs = json.loads(cli("threshold", run, "--json", "--lambda", "0.6", "--max-tokens", "500",
                            "--margin-percentile", "10", "--device", "cpu").stdout)
    close(mine, theirs)
    assert mine["lambda"] == 0.6 and mine["delta_percentile"] == 10 and len(mine["layers"]) == 2
    with pytest.raises(localist.LocalistError, match="batch_size = 0 is impossible; expected > 0"):
        model.threshold(batch_size=0)


def test_metrics_of_a_text(model):
    m = model.metrics(text=TEXT * 4)
    assert m["data"] == "(text)" and m["tokens"] > 0 and m["perplexity"] > 1


def test_explain_equals_explain_json(run, model):
    mine = model.explain(TEXT, lam=1.0, layer=1)
    theirs = json.loads(cli("explain", run, "--text", TEXT, "--json", "--lambda", "1", "--layer", "1",
                            "--device", "cpu").stdout)
    close(mine, theirs)
    assert len(mine["per_token"]) == len(model.encode(TEXT))


def test_greedy_logits_follow_generate(run, model):
    prompt = "a1 b2"
    ids = model.encode(prompt)
    for _ in range(8):
        ids.append(int(model.logits(ids, lam=1.0)[-1].argmax()))
    out = cli("generate", run, "--prompt", prompt, "-n", "8", "--temperature", "0", "--lambda", "1",
              "--device", "cpu").stdout
    assert model.decode(ids) in out


def test_the_dial_moves_the_logits(model):
    ids = model.encode(TEXT)
    plain = model.logits(ids, lam=0.0)
    assert plain.shape == (len(ids), model.cfg["vocab_size"])
    assert not torch.allclose(plain, model.logits(ids, lam=1.0, kappa=float("inf")), atol=1e-3)
    batch = torch.tensor([ids, ids])
    assert torch.allclose(model.logits(batch, lam=0.0)[1], plain, atol=1e-5)
    a = model.attention(ids, lam=1.0, kappa=float("inf"))
    assert a.shape == (2, 2, len(ids), len(ids))
    assert torch.allclose(a.sum(-1), torch.ones(2, 2, len(ids)), atol=1e-5)


def test_state_dict_is_the_models_own_memory(model):
    sd = model.state_dict()
    assert sd["ln_f.weight"].data_ptr() == model.state_dict()["ln_f.weight"].data_ptr()
    ids = model.encode(TEXT)
    saved = sd["ln_f.weight"].clone()
    try:
        with torch.no_grad():
            sd["ln_f.weight"].zero_()  # ln_f now outputs its bias alone: every position alike
        logits = model.logits(ids)
        assert torch.allclose(logits, logits[0].expand_as(logits), atol=1e-6)
    finally:
        with torch.no_grad():
            sd["ln_f.weight"].copy_(saved)


def test_cache_names_and_shapes(model):
    ids = model.encode(TEXT)
    T, C = len(ids), model.cfg["n_embd"]
    logits, cache = model.run_with_cache(ids)
    assert torch.allclose(logits, model.logits(ids), atol=1e-5)
    assert cache["blocks.1.attn.hook_pattern"].shape == (1, 2, T, T)
    assert cache["blocks.0.hook_resid_post"].shape == (1, T, C)
    assert len(cache) == 7 * 2 + 1
    assert torch.allclose(cache["blocks.1.attn.hook_pattern"][0], model.attention(ids)[1], atol=1e-6)
    _, some = model.run_with_cache(ids, names_filter=lambda n: n.endswith("hook_z"))
    assert sorted(some) == ["blocks.0.attn.hook_z", "blocks.1.attn.hook_z"]
    z, H = some["blocks.0.attn.hook_z"], model.cfg["n_head"]
    assert z.shape == (1, T, H, C // H)  # TransformerLens' layout: z[:, :, h] is head h's output
    sd = model.state_dict()
    attn_out = torch.nn.functional.linear(z.reshape(1, T, C), sd["layers.0.attn.c_proj.weight"],
                                          sd["layers.0.attn.c_proj.bias"])
    assert torch.allclose(attn_out, cache["blocks.0.hook_attn_out"], atol=1e-5)


def test_a_patched_pattern_changes_the_logits_as_computed_by_hand(model):
    ids = model.encode(TEXT)
    sd, cfg = model.state_dict(), model.cfg
    _, cache = model.run_with_cache(ids)

    def first_key_only(pattern, hook):
        p = torch.zeros_like(pattern)
        p[..., 0] = 1.0
        return p

    patched = model.run_with_hooks(ids, fwd_hooks=[("blocks.1.attn.hook_pattern", first_key_only)])
    # by hand: layer 1 reads the first position's values at every query
    F = torch.nn.functional
    x = cache["blocks.1.hook_resid_pre"][0]
    ln = lambda t, name: F.layer_norm(t, (cfg["n_embd"],), sd[name + ".weight"], sd[name + ".bias"])
    qkv = F.linear(ln(x, "layers.1.ln_1"), sd["layers.1.attn.c_attn.weight"], sd["layers.1.attn.c_attn.bias"])
    v0 = qkv[0, 2 * cfg["n_embd"]:]
    h = x + F.linear(v0, sd["layers.1.attn.c_proj.weight"], sd["layers.1.attn.c_proj.bias"])
    gelu = "tanh" if cfg["activation"] == "gelu_tanh" else "none"
    m = F.linear(F.gelu(F.linear(ln(h, "layers.1.ln_2"), sd["layers.1.mlp.c_fc.weight"], sd["layers.1.mlp.c_fc.bias"]),
                        approximate=gelu), sd["layers.1.mlp.c_proj.weight"], sd["layers.1.mlp.c_proj.bias"])
    by_hand = F.linear(ln(h + m, "ln_f"), sd["wte.weight"])
    assert torch.allclose(patched, by_hand, atol=1e-4), (patched - by_hand).abs().max()
    assert not torch.allclose(patched, model.logits(ids), atol=1e-3)


def test_errors_carry_the_clis_message(model, tmp_path):
    missing = str(tmp_path / "nowhere")
    with pytest.raises(localist.LocalistError) as e:
        localist.load(missing)
    assert str(e.value) in cli("eval", missing, check=False).stderr
    with pytest.raises(localist.LocalistError, match="lam = 2"):  # spelled as Python spells it
        model.logits("a1", lam=2.0)
    with pytest.raises(localist.LocalistError, match="vocabulary"):
        model.logits([0, model.cfg["vocab_size"]])
    with pytest.raises(localist.LocalistError, match="context"):
        model.logits([1] * (model.cfg["context_length"] + 1))
    with pytest.raises(localist.LocalistError, match="hook blocks.0.attn.hook_z"):
        model.run_with_hooks("a1 b2", [("blocks.0.attn.hook_z", lambda z, hook: z[..., :1])])
    with pytest.raises(ZeroDivisionError):  # a hook's own exception comes through as itself
        model.run_with_hooks("a1 b2", [("blocks.0.hook_resid_pre", lambda x, hook: 1 / 0)])
    assert torch.isfinite(model.logits("a1 b2")).all()  # and the model is unhooked after it


@contextlib.contextmanager
def served(run, cwd):
    """`localist serve RUN` on a free port: yields a function that POSTs a JSON body to a path and
    returns (status, reply)."""
    import re
    import urllib.error
    import urllib.request
    server = subprocess.Popen([os.path.abspath(BINARY), "serve", run, "--port", "0", "--device", "cpu", "--threads", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd)
    try:
        port = None
        for line in server.stdout:
            if m := re.search(r"on http://127\.0\.0\.1:(\d+)", line):
                port = int(m.group(1))
                break
        assert port, "the server did not start"

        def post(path, body):
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())
        yield post
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_one_setting_means_the_same_through_the_cli_python_and_http(run, model, tmp_path):
    """lambda and kappa (the hard mask included: "inf" over HTTP) through the three faces: the same
    log-likelihood of the same text (core/setting.h is the one path)."""
    ids = model.encode(TEXT)
    (tmp_path / "text.txt").write_text(TEXT)
    with served(run, tmp_path) as post:
        for lam, kappa, kappa_json, kappa_flag in [(0.4, float("inf"), "inf", "inf"), (1.0, 3.0, 3.0, "3")]:
            lp = torch.log_softmax(model.logits(ids, lam=lam, kappa=kappa).double(), -1)
            python = lp[:-1].gather(1, torch.tensor(ids[1:]).unsqueeze(1)).sum().item()
            body = {"prompt": ids, "max_tokens": 0, "echo": True, "logprobs": 0, "lambda": lam, "kappa": kappa_json}
            status, reply = post("/v1/completions", body)
            assert status == 200 and reply["localist"]["kappa"] == kappa_json and reply["localist"]["lambda"] == lam
            http = sum(reply["choices"][0]["logprobs"]["token_logprobs"][1:])
            ev = json.loads(cli("eval", run, "--test-file", str(tmp_path / "text.txt"), "--json", "--lambda", str(lam),
                                "--kappa", kappa_flag, "--device", "cpu").stdout)
            assert ev["tokens"] == len(ids) - 1
            command_line = -ev["nll_nats"] * ev["tokens"]
            assert python == pytest.approx(http, rel=1e-5) and http == pytest.approx(command_line, rel=1e-5), \
                (lam, kappa, python, http, command_line)


def test_a_bad_setting_is_named_as_each_face_spells_it(run, model, tmp_path):
    """The library names the setting (core/errors.h); the command line says --lambda, HTTP "lambda",
    Python lam: each user reads the name they typed."""
    r = cli("eval", run, "--lambda", "2", "--device", "cpu", check=False)
    assert r.returncode == 2 and "config: --lambda = 2 is impossible; expected in [0, 1]" in r.stderr, r.stderr
    with pytest.raises(localist.LocalistError, match=r"^config: lam = 2 is impossible; expected in \[0, 1\]$"):
        model.logits("a1", lam=2.0)
    r = cli("train", "--out", str(tmp_path / "r"), "--max-steps", "1", "--recruit", "--blocks", "segment", check=False)
    assert r.returncode == 2 and "--recruit grows token classes: it needs --blocks vocab" in r.stderr, r.stderr
    with pytest.raises(localist.LocalistError, match="^recruit grows token classes: it needs blocks vocab"):
        localist.train(str(tmp_path / "p"), train={"max_steps": 1}, localist={"blocks": "segment"},
                       recruit={"enabled": True}, progress=lambda line: None)
    with served(run, tmp_path) as post:
        status, reply = post("/v1/completions", {"prompt": "a1", "max_tokens": 1, "lambda": 2})
    assert status == 400 and reply["error"]["param"] == "lambda"
    assert reply["error"]["message"] == '"lambda": must lie in [0.0, 1.0], got 2', reply


def test_sweep_equals_the_clis(run, model, tmp_path):
    mine = model.sweep([1.0, 0.0], max_tokens=1000)
    theirs = json.loads(cli("sweep", "--protocol", "inference", "--checkpoint", run, "--lambdas", "1,0",
                            "--max-tokens", "1000", "--json", "--out", str(tmp_path / "sweep"),
                            "--device", "cpu").stdout)
    for row in mine["rows"] + theirs["rows"]:
        row.pop("seconds", None)  # timing, not a measurement of the model
    close(mine["rows"], theirs["rows"])
    assert [r["lambda"] for r in mine["rows"]] == [1.0, 0.0]


def test_train_is_the_clis_trainer(tmp_path):
    flags = ["--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "16", "--batch-size", "4",
             "--max-steps", "6", "--synth-tokens", "5000", "--device", "cpu", "--blocks", "segment",
             "--lambda", "0.5", "--log-interval", "3", "--eval-interval", "6"]
    cli("train", "--out", str(tmp_path / "cli"), *flags)
    lines = []
    summary, trained = localist.train(
        tmp_path / "py", model={"n_layer": 1, "n_head": 2, "n_embd": 16, "context_length": 16},
        data={"synth_tokens": 5000}, train={"batch_size": 4, "max_steps": 6, "device": "cpu", "threads": 1,
                                            "log_interval": 3, "eval_interval": 6},
        localist={"blocks": "segment", "lambda": 0.5}, progress=lines.append)
    assert summary["steps"] == 6 and len(summary["losses"]) == 6
    assert any("step" in line and "loss" in line for line in lines)
    cli_model = localist.load(str(tmp_path / "cli"))
    ids = trained.encode(TEXT)
    assert torch.allclose(trained.logits(ids), cli_model.logits(ids), atol=1e-5)
    with pytest.raises(localist.LocalistError, match="unknown field 'n_layers'"):
        localist.train(tmp_path / "bad", model={"n_layers": 2})


# --- a hierarchy: a base on two toy domains, a specialist fine-tuned on one ----------------------
def domain_text(letters, words):
    return "".join("".join(letters[(w + i * 2) % len(letters)] for i in range(2 + w % 3)) +
                   ("\n" if w % 12 == 11 else " ") for w in range(words))


@pytest.fixture(scope="session")
def hierarchy_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("hier")
    a, b = domain_text("abcdefg", 1500), domain_text("qrstuvw", 1500)
    (d / "mix.txt").write_text(a + b)
    (d / "a.txt").write_text(a)
    (d / "a_test.txt").write_text(domain_text("gfedcba", 60))
    size = ["--tokenizer", "char", "--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "32",
            "--batch-size", "8", "--log-interval", "100", "--eval-interval", "100", "--device", "cpu"]
    cli("train", *size, "--max-steps", "40", "--data", str(d / "mix.txt"), "--out", str(d / "base"))
    cli("train", *size, "--max-steps", "30", "--init-from", str(d / "base"), "--data", str(d / "a.txt"),
        "--out", str(d / "spec"))
    cli("hierarchy", "create", str(d / "h"), "--base", str(d / "base"), "--member", f"a={d / 'spec'}",
        "--prefix", "4", threads=False)
    return d


def test_a_hierarchy_routes_as_hierarchy_eval(hierarchy_dir):
    h = localist.load(str(hierarchy_dir / "h"))
    assert isinstance(h, localist.Hierarchy) and list(h.members) == ["base", "a"] and h.prefix == 4
    text = (hierarchy_dir / "a_test.txt").read_text()
    seg = h.encode(text)[:24]
    hard, soft = h.route(seg), h.route(seg, routing="soft")
    theirs = json.loads(cli("hierarchy", "eval", str(hierarchy_dir / "h"), "--domain", f"a={hierarchy_dir / 'a_test.txt'}",
                            "--segment-tokens", "24", "--max-segments", "1", "--json", "--device", "cpu",
                            threads=False).stdout)["domains"][0]
    assert math.exp(hard["member_nll"][0].mean()) == pytest.approx(theirs["ppl_base"], rel=1e-9)
    assert math.exp(hard["nll"].mean()) == pytest.approx(theirs["ppl_hard"], rel=1e-9)
    assert math.exp(soft["nll"].mean()) == pytest.approx(theirs["ppl_soft"], rel=1e-9)
    assert theirs["hard_routed_to"][hard["chosen"]] == 1


def test_hierarchy_evaluate_equals_hierarchy_eval_json(hierarchy_dir):
    """One implementation behind both faces: Hierarchy.evaluate on texts returns what `localist
    hierarchy eval --json` prints for the same texts as files, attention and bounds included."""
    h = localist.load(str(hierarchy_dir / "h"))
    a, b = (hierarchy_dir / "a_test.txt").read_text(), domain_text("qrstuvw", 60)
    (hierarchy_dir / "b_test.txt").write_text(b)
    theirs = json.loads(cli("hierarchy", "eval", str(hierarchy_dir / "h"), "--domain", f"a={hierarchy_dir / 'a_test.txt'}",
                            "--domain", f"b={hierarchy_dir / 'b_test.txt'}", "--own", "b=base", "--segment-tokens", "24",
                            "--max-segments", "3", "--prefix", "6", "--attention", "--bounds", "--json",
                            "--device", "cpu", threads=False).stdout)
    ours = h.evaluate({"a": a, "b": b}, own={"b": "base"}, segment_tokens=24, max_segments=3, prefix=6,
                      attention=True, bounds=True)
    close(ours, theirs)
    assert ours["routing_prefix"] == 6 and [d["own_model"] for d in ours["domains"]] == ["a", "base"]
    assert set(ours["attention"]) == {"base", "a"} and "hard" in ours["bounds"]["members"]["a"]
    with pytest.raises(localist.LocalistError, match="own b=c: the hierarchy has no member 'c'"):
        h.evaluate({"b": b}, own={"b": "c"}, segment_tokens=24)
    with pytest.raises(localist.LocalistError, match="domain 'a' holds fewer than one 500-token segment"):
        h.evaluate({"a": a[:100]}, segment_tokens=500, prefix=2)


def test_hierarchy_routing_by_hand(hierarchy_dir):
    """Each member's NLL row is its own logits' cross-entropy; hard routing gives the first `prefix`
    predictions to the base and the rest to the member whose prefix likelihood is highest."""
    h = localist.load(str(hierarchy_dir / "h"))
    seg = torch.tensor(h.encode((hierarchy_dir / "a_test.txt").read_text())[:20])
    r = h.route(seg, prefix=5)
    for k, m in enumerate(h.members.values()):
        logp = torch.log_softmax(m.logits(seg[:-1]).double(), -1)
        assert torch.allclose(r["member_nll"][k], -logp.gather(1, seg[1:, None])[:, 0], atol=1e-6)
    chosen = int(r["member_nll"][:, :5].sum(1).argmin())
    assert r["chosen"] == list(h.members)[chosen]
    want = torch.cat([r["member_nll"][0, :5], r["member_nll"][chosen, 5:]])
    assert torch.allclose(r["nll"], want)
    assert r["share"][r["chosen"]] == pytest.approx(14 / 19 + (5 / 19 if chosen == 0 else 0))
    with pytest.raises(localist.LocalistError, match="router: prefix 40 outside the segment's 19 predictions"):
        h.route(seg, prefix=40)
    with pytest.raises(localist.LocalistError, match="route: routing 'best' is unknown; expected hard or soft"):
        h.route(seg, routing="best")
