"""localist in Python: load a run (an imported Hugging Face model, or a hierarchy), dial its locality, read
and patch its attention, and get the numbers `localist eval --json` and `localist explain --json`
print, as Python objects. Tensors are torch.Tensors shared with the C++ core (no copies).

    import localist
    m = localist.load("runs/l1")
    logits = m.logits("the cat", lam=0.6)                 # (T, V)
    pattern = m.attention("the cat")                      # (L, H, T, T)
    logits, cache = m.run_with_cache("the cat")           # TransformerLens-style names
    m.run_with_hooks("the cat", fwd_hooks=[("blocks.0.attn.hook_pattern", patch)])
    m.metrics(split="test", lam=0.6)                      # == localist eval --json
    m.explain("the cat", lam=1.0)                         # == localist explain --json
    h = localist.load("H"); h.route("the cat")            # a hierarchy: the member chosen, the posterior

docs/python.md walks through it.
"""
import json as _json
import os as _os
import tempfile as _tempfile
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import torch  # loads LibTorch and its Python bindings before the extension needs them

from . import _localist
from ._localist import LocalistError

__all__ = ["load", "train", "Model", "Hierarchy", "HookPoint", "LocalistError"]

Tokens = Union[str, Sequence[int], torch.Tensor]
Rules = Union[None, str, dict]


class HookPoint:
    """What a hook function is given besides the activation (TransformerLens passes the same)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"HookPoint({self.name!r})"


class Model:
    """A loaded checkpoint. Every method takes lam / kappa / rules to move the dial (None: the
    checkpoint's own settings); rules is a rules file path or the rules as a dict."""

    def __init__(self, core: "_localist.Model"):
        self._core = core
        self.cfg = _json.loads(core.config_json())
        self.localist = _json.loads(core.localist_json())
        self.step = core.step
        self.device = core.device

    # --- tokens -------------------------------------------------------------------------------
    def encode(self, text: str) -> List[int]:
        return self._core.encode(text)

    def decode(self, ids: Union[Sequence[int], torch.Tensor]) -> str:
        if isinstance(ids, torch.Tensor):
            ids = ids.reshape(-1).tolist()
        return self._core.decode(list(ids))

    def _ids(self, tokens: Tokens) -> Tuple[torch.Tensor, bool]:
        """(B, T) token ids, and whether the caller gave one sequence (then results drop B)."""
        if isinstance(tokens, str):
            tokens = self.encode(tokens)
        if not isinstance(tokens, torch.Tensor):
            tokens = torch.tensor(list(tokens), dtype=torch.long)
        if tokens.dim() == 1:
            return tokens.unsqueeze(0), True
        return tokens, False

    def _setting(self, lam, kappa, rules: Rules):
        if rules is None or isinstance(rules, str):
            return self._core.setting(lam, kappa, rules or "", "")
        if isinstance(rules, dict):
            return self._core.setting(lam, kappa, "", _json.dumps(rules))
        raise LocalistError(f"rules: expected a file path or a dict, got {type(rules).__name__}")

    # --- the forward pass ---------------------------------------------------------------------
    def logits(self, tokens: Tokens, lam=None, kappa=None, rules: Rules = None) -> torch.Tensor:
        """Next-token logits (T, V), or (B, T, V) for a batch, under the dial."""
        return self.run_with_hooks(tokens, lam=lam, kappa=kappa, rules=rules)

    def attention(self, tokens: Tokens, lam=None, kappa=None, rules: Rules = None) -> torch.Tensor:
        """Attention probabilities (L, H, T, T), or (L, B, H, T, T) for a batch: [layer][head][query][key]."""
        ids, single = self._ids(tokens)
        a = self._core.attention(ids, self._setting(lam, kappa, rules))
        return a[:, 0] if single else a

    def run_with_hooks(self, tokens: Tokens, fwd_hooks: Iterable[Tuple[Union[str, Callable[[str], bool]], Callable]] = (),
                       lam=None, kappa=None, rules: Rules = None) -> torch.Tensor:
        """Logits with hook functions on named activations: each (name or name filter, fn); fn(activation,
        hook) returns a tensor of the same shape to patch it, or None to leave it. Hook points:
        blocks.{l}.hook_resid_pre, .attn.hook_attn_scores, .attn.hook_pattern (B, H, T, T), .attn.hook_z
        (B, T, H, Dh, as TransformerLens lays it out), .hook_attn_out, .hook_mlp_out, .hook_resid_post, ln_final.hook_normalized."""
        ids, single = self._ids(tokens)
        hooks = list(fwd_hooks)

        def dispatch(name: str, x: torch.Tensor) -> torch.Tensor:
            for key, fn in hooks:
                if (key == name) if isinstance(key, str) else key(name):
                    out = fn(x, HookPoint(name))
                    if out is not None and not isinstance(out, torch.Tensor):
                        raise LocalistError(f"hook {name}: returned a {type(out).__name__}, expected a "
                                            "torch.Tensor (a patch) or None")
                    if out is not None:
                        x = out
            return x

        out = self._core.forward(ids, self._setting(lam, kappa, rules), dispatch if hooks else None)
        return out[0] if single else out

    def run_with_cache(self, tokens: Tokens, names_filter: Union[None, str, Callable[[str], bool]] = None,
                       lam=None, kappa=None, rules: Rules = None) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """(logits, cache): every activation by hook name (or those names_filter keeps), batch kept."""
        cache: Dict[str, torch.Tensor] = {}
        keep = (lambda n: True) if names_filter is None else \
            (lambda n: n == names_filter) if isinstance(names_filter, str) else names_filter

        def store(x, hook):
            cache[hook.name] = x

        logits = self.run_with_hooks(tokens, [(keep, store)], lam=lam, kappa=kappa, rules=rules)
        return logits, cache

    # --- the measurements (the CLI's JSON, as dicts) ------------------------------------------
    def metrics(self, text: Optional[str] = None, split: str = "test", data: str = "", lam=None, kappa=None,
                rules: Rules = None, max_tokens: int = 0, batch_size: int = 8, flash: bool = False) -> dict:
        """What `localist eval --json` returns: on `text` if given, else on the run's split (or `data`'s)."""
        s = self._setting(lam, kappa, rules)
        return _json.loads(self._core.metrics(s, text, split, data, max_tokens, batch_size, flash))

    def sweep(self, lambdas: Sequence[float] = (1.0, 0.8, 0.6, 0.4, 0.2, 0.0), split: str = "test", data: str = "",
              kappa=None, rules: Rules = None, max_tokens: int = 0, out: Optional[str] = None) -> dict:
        """What `localist sweep --protocol inference --json` returns: one row per lambda, the same weights.
        out: a directory that keeps the rows (a rerun reuses them), default a temporary one."""
        s = self._setting(None, kappa, rules)
        if out is not None:
            return _json.loads(self._core.sweep(s, list(lambdas), split, data, max_tokens, str(out)))
        with _tempfile.TemporaryDirectory() as d:
            return _json.loads(self._core.sweep(s, list(lambdas), split, data, max_tokens, d))

    def threshold(self, split: str = "test", data: str = "", lam=None, kappa=None, rules: Rules = None,
                  max_tokens: int = 2000, batch_size: int = 8, margin_percentile: float = 5.0) -> dict:
        """What `localist threshold --json` returns: the concentration threshold's constants estimated
        on the run's split (or `data`'s), the threshold per layer, head and block against the
        penalties in force, the KKT check and the concentration and entropy bounds (docs/threshold.md)."""
        s = self._setting(lam, kappa, rules)
        return _json.loads(self._core.threshold(s, split, data, max_tokens, batch_size, margin_percentile))

    def explain(self, text: str, layer: Optional[int] = None, head: Optional[int] = None, lam=None, kappa=None,
                rules: Rules = None) -> dict:
        """What `localist explain --json` returns: per token and head, where attention went, and why."""
        s = self._setting(lam, kappa, rules)
        return _json.loads(self._core.explain(s, text, -1 if layer is None else layer, -1 if head is None else head))

    # --- the weights ---------------------------------------------------------------------------
    def state_dict(self) -> Dict[str, torch.Tensor]:
        """The model's parameters and buffers by name: the C++ model's own tensors (write one, and
        the model changes)."""
        return self._core.state_dict()

    def __repr__(self):
        c = self.cfg
        return (f"localist.Model(layers={c['n_layer']}, heads={c['n_head']}, d={c['n_embd']}, "
                f"context={c['context_length']}, vocab={c['vocab_size']}, step={self.step}, device={self.device!r})")


class Hierarchy:
    """A base model and its specialists (`localist hierarchy create`, docs/hierarchy.md), routed per
    segment. members: name -> Model, the base first (each a whole Model: logits, attention, hooks)."""

    def __init__(self, path: str, manifest: dict, members: List["_localist.Model"]):
        self.path = path
        self.routing = manifest["routing"]
        self.prefix = manifest["prefix"]
        self.domains = {m["name"]: m["domain"] for m in manifest["members"]}
        self.members = {m["name"]: Model(core) for m, core in zip(manifest["members"], members)}

    @property
    def base(self) -> Model:
        return next(iter(self.members.values()))

    def encode(self, text: str) -> List[int]:
        return self.base.encode(text)  # every member shares the base's tokenizer

    def decode(self, ids: Union[Sequence[int], torch.Tensor]) -> str:
        return self.base.decode(ids)

    def nll(self, tokens: Tokens, lam=None, kappa=None, rules: Rules = None) -> torch.Tensor:
        """(K, T-1) float64: member k's NLL (nats) of each token after the first given those before
        it, under its own dial (or lam / kappa / rules for every member): what the router hears."""
        ids, single = self.base._ids(tokens)
        if not single or ids.is_floating_point():
            raise LocalistError("tokens: expected one sequence of integer token ids (text, a list or a 1-d tensor)")
        ids = ids[0].tolist()
        return torch.stack([m._core.nll(ids, m._setting(lam, kappa, rules)) for m in self.members.values()])

    def route(self, tokens: Tokens, routing: Optional[str] = None, prefix: Optional[int] = None, lam=None,
              kappa=None, rules: Rules = None) -> dict:
        """One segment routed as `localist hierarchy eval` routes each (hierarchy/router.h): hard (the
        base predicts the first `prefix` tokens while the router listens, then the member with the
        highest posterior predicts the rest) or soft (every prediction from the posterior-weighted
        mixture). Returns nll (T-1,) under the routing, chosen (a member's name), share (name -> its
        share of the predictions), weights (K, T-1), and member_nll (K, T-1) from nll()."""
        member_nll = self.nll(tokens, lam=lam, kappa=kappa, rules=rules)
        routing = routing or self.routing
        nll, chosen, share, weights = _localist.route(member_nll, routing, self.prefix if prefix is None else prefix)
        names = list(self.members)
        return {"routing": routing, "nll": nll, "chosen": names[chosen],
                "share": {n: float(x) for n, x in zip(names, share)}, "weights": weights, "member_nll": member_nll}

    def evaluate(self, domains: Dict[str, str], own: Optional[Dict[str, str]] = None, segment_tokens: int = 128,
                 max_segments: int = 200, prefix: Optional[int] = None, attention: bool = False,
                 bounds: bool = False, margin_percentile: float = 5.0, rules: Optional[str] = None,
                 kappa: Optional[float] = None) -> dict:
        """`localist hierarchy eval --json` on held-out texts (domain name -> text): per domain and
        over all, perplexity under base / hard / soft / oracle routing and hard routing's accuracy;
        with attention / bounds, each member's attention and concentration guarantee on what each
        routing gave it. own: domain -> the member that should serve it (default: its namesake, else
        the base); rules (a rules file) and kappa move every member's dial. Reads the hierarchy from
        its directory again: weights changed in place through state_dict() are not seen."""
        o = _localist.HierarchyEvalOptions()
        o.segment_tokens, o.max_segments = segment_tokens, max_segments
        o.prefix = -1 if prefix is None else prefix
        o.own = list((own or {}).items())
        o.attention, o.bounds, o.margin_percentile = attention, bounds, margin_percentile
        text = _localist.evaluate_hierarchy(self.path, self.base.device, list(domains.items()), o, rules or "",
                                            0.0 if kappa is None else float(kappa))
        return _json.loads(text)

    def __repr__(self):
        return f"localist.Hierarchy({self.path!r}, members={list(self.members)}, routing={self.routing!r}, prefix={self.prefix})"


def load(path: str, device: str = "cpu") -> Union[Model, Hierarchy]:
    """A run or checkpoint directory (a `localist train` run, or `localist import-hf` output), or a
    hierarchy directory (its hierarchy.json: `localist hierarchy create`)."""
    if _os.path.isfile(_os.path.join(str(path), "hierarchy.json")):
        manifest, members = _localist.open_hierarchy(str(path), device)
        return Hierarchy(str(path), _json.loads(manifest), members)
    return Model(_localist.Model(str(path), device))


def train(out: str, model: Optional[dict] = None, data: Optional[dict] = None, train: Optional[dict] = None,
          localist: Optional[dict] = None, recruit: Optional[dict] = None, resume: bool = False,
          init_from: Optional[str] = None, progress: Optional[Callable[[str], None]] = print):
    """`localist train`'s trainer, into the run directory `out`. Each config is a dict with the keys of a
    run's config.json (e.g. model={"n_layer": 2, "n_embd": 64}, train={"max_steps": 500},
    localist={"blocks": "segment", "lambda": 0.6}); unknown keys are refused. progress gets each
    progress line (None: quiet); Ctrl-C stops at the next line. Returns (summary dict, the trained Model)."""
    def dumps(d):  # infinity as a config file writes it ("inf"; JSON has no number for it)
        return _json.dumps({k: "inf" if v == float("inf") else v for k, v in (d or {}).items()})

    summary = _localist.train(str(out), dumps(model), dumps(data), dumps(train), dumps(localist), dumps(recruit),
                              resume, init_from or "", progress if progress is not None else (lambda line: None))
    return _json.loads(summary), load(out)
