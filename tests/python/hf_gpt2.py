"""The Python side of tests/hf/test_hf_gpt2.cpp: transformers' own GPT-2, trained and read back.

  hf_gpt2.py make DIR     trains a small GPT-2 with transformers on a generated corpus (CPU, a
                          few seconds), saves it with save_pretrained (safetensors) and its
                          byte-level BPE (vocab.json + merges.txt), writes DIR/data/{train,valid,
                          test}.txt, the test split's perplexity as transformers computes it on
                          consecutive windows of n_positions tokens (DIR/reference.json), and
                          the logits of a few windows (DIR/reference_logits.safetensors)
  hf_gpt2.py logits MODEL TOKENS OUT
                          loads MODEL with GPT2LMHeadModel.from_pretrained and AutoTokenizer and
                          writes its logits on the token windows of TOKENS (JSON) to OUT
  hf_gpt2.py open FILE... opens each file with Python's safetensors and prints its tensor count
"""
import json
import math
import os
import random
import sys

import torch
from safetensors.torch import load_file, save_file
from tokenizers import ByteLevelBPETokenizer

CONTEXT = 64


def corpus(seed, lines):
    rng = random.Random(seed)
    subjects = ["the king", "a citizen", "my lord", "the queen", "our army", "this city", "Rome", "Caius"]
    verbs = ["speaks of", "fears", "loves", "betrays", "remembers", "defends", "mocks", "follows"]
    objects = ["the senate", "his mother", "the people", "a letter", "the war", "their bread", "honour"]
    out = []
    for _ in range(lines):
        s = f"{rng.choice(subjects).capitalize()} {rng.choice(verbs)} {rng.choice(objects)}"
        if rng.random() < 0.3:
            s += f", and {rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}"
        out.append(s + rng.choice([".", "!", "?", ";"]) + ("\n\n" if rng.random() < 0.1 else "\n"))
    return "".join(out)


def windows(ids):
    for s in range(0, len(ids) - 1, CONTEXT):
        n = min(CONTEXT, len(ids) - 1 - s)
        yield ids[s:s + n], ids[s + 1:s + 1 + n]


def make(d):
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    data = os.path.join(d, "data")
    os.makedirs(data, exist_ok=True)
    texts = {"train": corpus(1, 3000), "valid": corpus(2, 200), "test": corpus(3, 200)}
    for split, text in texts.items():
        with open(os.path.join(data, split + ".txt"), "w", encoding="utf-8", newline="") as f:
            f.write(text)
    tok = ByteLevelBPETokenizer(add_prefix_space=False)
    tok.train(files=[os.path.join(data, "train.txt")], vocab_size=400, min_frequency=2,
              special_tokens=["<|endoftext|>"], show_progress=False)
    model_dir = os.path.join(d, "hf")
    os.makedirs(model_dir, exist_ok=True)
    tok.save_model(model_dir)
    config = GPT2Config(vocab_size=tok.get_vocab_size(), n_positions=CONTEXT, n_embd=32, n_layer=2, n_head=2,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(config)
    ids = tok.encode(texts["train"]).ids
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for step in range(150):
        starts = [random.Random(step * 16 + b).randrange(len(ids) - CONTEXT - 1) for b in range(16)]
        x = torch.tensor([ids[s:s + CONTEXT] for s in starts])
        loss = model(input_ids=x, labels=x).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    model.save_pretrained(model_dir)
    test = tok.encode(texts["test"]).ids
    nll, count = 0.0, 0
    with torch.no_grad():
        for x, y in windows(test):
            logits = model(input_ids=torch.tensor([x])).logits[0].double()
            nll += torch.nn.functional.cross_entropy(logits, torch.tensor(y), reduction="sum").item()
            count += len(y)
        first = [x for x, _ in windows(test)][:3]
        save_file({f"logits{i}": model(input_ids=torch.tensor([x])).logits[0].contiguous() for i, x in enumerate(first)},
                  os.path.join(d, "reference_logits.safetensors"))
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump({"perplexity": math.exp(nll / count), "predictions": count, "train_loss": loss.item(),
                   "windows": first}, f)
    print(f"hf_gpt2 make: train loss {loss.item():.4f}, test perplexity {math.exp(nll / count):.4f} "
          f"over {count} predictions")


def logits(model_dir, tokens_json, out):
    from transformers import AutoTokenizer, GPT2LMHeadModel
    model = GPT2LMHeadModel.from_pretrained(model_dir).eval()
    tok = AutoTokenizer.from_pretrained(model_dir)
    with open(tokens_json) as f:
        wins = json.load(f)
    with torch.no_grad():
        save_file({f"logits{i}": model(input_ids=torch.tensor([x])).logits[0].contiguous() for i, x in enumerate(wins)}, out)
    print(f"hf_gpt2 logits: {type(model).__name__}, tokenizer {type(tok).__name__} vocab {len(tok)}, "
          f"'{tok.decode(wins[0][:8])}'")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "logits":
        logits(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "open":
        for path in sys.argv[2:]:
            print(f"{path}: {len(load_file(path))} tensors")
