"""The same GPT as src/localist/model/gpt.cpp in Python PyTorch, eager or torch.compile'd,
trained on random tokens with the same step as bench/train_throughput.cpp: the locality dial's
bias (window blocks, lambda, kappa 10 nats) rebuilt every step and given to fused attention as
an additive mask with the causal -inf folded in, forward (bf16 autocast with --bf16 1),
backward, clip 1.0, AdamW (fused).
Prints one JSON line. Run by bench/train_throughput.sh."""
import argparse, json, os, time
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
for k, v in dict(vocab=2048, n_layer=2, n_head=4, n_embd=128, block_size=128, batch=16,
                 steps=20, warmup=3, threads=0, window=16, bf16=0).items():
    p.add_argument("--" + k.replace("_", "-"), type=int, default=v)
p.add_argument("--lambda", dest="lam", type=float, default=1.0)
p.add_argument("--device", default="cpu")
p.add_argument("--compile", action="store_true", help="torch.compile the model and the step")
a = p.parse_args()
if a.threads > 0:  # 0: torch's default, as the C++ side
    torch.set_num_threads(a.threads)
dev = torch.device(a.device)
KAPPA = 10.0


class Attn(nn.Module):
    def __init__(s):
        super().__init__()
        s.c_attn, s.c_proj = nn.Linear(a.n_embd, 3 * a.n_embd), nn.Linear(a.n_embd, a.n_embd)

    def forward(s, x, mask):
        B, T, C = x.shape
        q, k, v = s.c_attn(x).view(B, T, 3, a.n_head, C // a.n_head).permute(2, 0, 3, 1, 4)
        if mask is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return s.c_proj(y.transpose(1, 2).reshape(B, T, C))


class Layer(nn.Module):
    def __init__(s):
        super().__init__()
        s.ln_1, s.attn, s.ln_2 = nn.LayerNorm(a.n_embd), Attn(), nn.LayerNorm(a.n_embd)
        s.mlp = nn.Sequential(nn.Linear(a.n_embd, 4 * a.n_embd), nn.GELU(), nn.Linear(4 * a.n_embd, a.n_embd))

    def forward(s, x, mask):
        x = x + s.attn(s.ln_1(x), mask)
        return x + s.mlp(s.ln_2(x))


class Gpt(nn.Module):
    def __init__(s):
        super().__init__()
        s.wte, s.wpe = nn.Embedding(a.vocab, a.n_embd), nn.Embedding(a.block_size, a.n_embd)
        s.layers = nn.ModuleList(Layer() for _ in range(a.n_layer))
        s.ln_f = nn.LayerNorm(a.n_embd)

    def forward(s, idx):
        T = idx.shape[1]
        mask = None
        if a.lam > 0:  # the dial: -lambda*kappa on keys of another window block, -inf on the future
            blk = torch.arange(T, device=idx.device) // a.window
            mask = torch.where(blk[:, None] != blk[None, :], -a.lam * KAPPA, 0.0)
            mask = mask.masked_fill(torch.ones(T, T, dtype=torch.bool, device=idx.device).triu(1), float("-inf"))
        x = s.wte(idx) + s.wpe(torch.arange(T, device=idx.device))
        for l in s.layers:
            x = l(x, mask)
        return F.linear(s.ln_f(x), s.wte.weight)


torch.manual_seed(0)
m = Gpt().to(dev)
decay = [p for p in m.parameters() if p.dim() >= 2]
no_decay = [p for p in m.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                        lr=1e-3, betas=(0.9, 0.99), eps=1e-8, fused=True)
x = torch.randint(0, a.vocab, (a.batch, a.block_size), device=dev)
y = torch.randint(0, a.vocab, (a.batch, a.block_size), device=dev)


def fwd_bwd():
    with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bool(a.bf16)):
        loss = F.cross_entropy(m(x).view(-1, a.vocab), y.view(-1))
    loss.backward()
    return loss


fwd_bwd_run = torch.compile(fwd_bwd) if a.compile else fwd_bwd


def step():
    opt.zero_grad(set_to_none=False)
    loss = fwd_bwd_run()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    return loss


t_compile = time.perf_counter()
for _ in range(a.warmup):  # with --compile, the first call compiles
    step().item()
t_compile = time.perf_counter() - t_compile
t0 = time.perf_counter()
for _ in range(a.steps):
    last = step()
last.item()
s = time.perf_counter() - t0
if os.environ.get("LOCALIST_PROFILE"):  # 3 more steps under the profiler, as the C++ side
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU,
                                            torch.profiler.ProfilerActivity.CUDA]) as prof:
        for _ in range(3):
            last = step()
        last.item()
    prof.export_chrome_trace(os.environ["LOCALIST_PROFILE"])
n = sum(p.numel() for p in m.parameters())
tok_s = a.steps * a.batch * a.block_size / s
print(json.dumps({"impl": f"PyTorch {torch.__version__} {'compile' if a.compile else 'eager'}",
                  "tokens_per_s": round(tok_s, 1), "ms_per_step": round(1000 * s / a.steps, 3), "params": n,
                  "gflop_per_s": round(tok_s * (6 * n + 12 * a.n_layer * a.block_size * a.n_embd) / 1e9, 2),
                  "lambda": a.lam, "bf16": a.bf16, "warmup_s": round(t_compile, 1), "device": str(dev),
                  "threads": torch.get_num_threads()}))
