"""The same GPT as src/localist/model/gpt.cpp in Python PyTorch eager, trained on random
tokens with the same step (forward, backward, clip 1.0, AdamW), timed the same way.
Prints one JSON line. Run by bench/train_throughput.sh."""
import argparse, json, math, time
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
for k, v in dict(vocab=2048, n_layer=2, n_head=4, n_embd=128, block_size=128, batch=16,
                 steps=20, threads=1).items():
    p.add_argument("--" + k.replace("_", "-"), type=int, default=v)
p.add_argument("--device", default="cpu")
a = p.parse_args()
torch.set_num_threads(a.threads)
dev = torch.device(a.device)


class Attn(nn.Module):
    def __init__(s):
        super().__init__()
        s.c_attn, s.c_proj = nn.Linear(a.n_embd, 3 * a.n_embd), nn.Linear(a.n_embd, a.n_embd)

    def forward(s, x):
        B, T, C = x.shape
        q, k, v = s.c_attn(x).view(B, T, 3, a.n_head, C // a.n_head).permute(2, 0, 3, 1, 4)
        if hasattr(F, "scaled_dot_product_attention"):  # what the C++ side uses on 2.x
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(C // a.n_head)
            att = att.masked_fill(torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
            y = att.softmax(-1) @ v
        return s.c_proj(y.transpose(1, 2).reshape(B, T, C))


class Layer(nn.Module):
    def __init__(s):
        super().__init__()
        s.ln_1, s.attn, s.ln_2 = nn.LayerNorm(a.n_embd), Attn(), nn.LayerNorm(a.n_embd)
        s.mlp = nn.Sequential(nn.Linear(a.n_embd, 4 * a.n_embd), nn.GELU(), nn.Linear(4 * a.n_embd, a.n_embd))

    def forward(s, x):
        x = x + s.attn(s.ln_1(x))
        return x + s.mlp(s.ln_2(x))


class Gpt(nn.Module):
    def __init__(s):
        super().__init__()
        s.wte, s.wpe = nn.Embedding(a.vocab, a.n_embd), nn.Embedding(a.block_size, a.n_embd)
        s.layers = nn.ModuleList(Layer() for _ in range(a.n_layer))
        s.ln_f = nn.LayerNorm(a.n_embd)

    def forward(s, idx):
        x = s.wte(idx) + s.wpe(torch.arange(idx.shape[1], device=idx.device))
        for l in s.layers:
            x = l(x)
        return F.linear(s.ln_f(x), s.wte.weight)


torch.manual_seed(0)
m = Gpt().to(dev)
decay = [p for p in m.parameters() if p.dim() >= 2]
no_decay = [p for p in m.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                        lr=1e-3, betas=(0.9, 0.99), eps=1e-8)
x = torch.randint(0, a.vocab, (a.batch, a.block_size), device=dev)
y = torch.randint(0, a.vocab, (a.batch, a.block_size), device=dev)


def step():
    opt.zero_grad(set_to_none=False)
    loss = F.cross_entropy(m(x).view(-1, a.vocab), y.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    return loss


for _ in range(3):
    step().item()
t0 = time.perf_counter()
for _ in range(a.steps):
    last = step()
last.item()
s = time.perf_counter() - t0
print(json.dumps({"impl": "PyTorch " + torch.__version__, "tokens_per_s": round(a.steps * a.batch * a.block_size / s, 1),
                  "ms_per_step": round(1000 * s / a.steps, 3), "params": sum(p.numel() for p in m.parameters()),
                  "device": str(dev), "threads": torch.get_num_threads()}))
