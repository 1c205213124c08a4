"""Import and forward speed for a GPT-2 124M (docs/hf.md).

  bench/hf_gpt2.py make DIR    a GPT-2 124M with random weights, saved by transformers
                               (save_pretrained, safetensors) with a byte-level BPE fitted to it
  bench/hf_gpt2.py forward DIR BATCH T REPEATS
                               transformers' forward tokens/s (CPU, fp32, no grad), same shapes
                               as `localist` is timed with in bench/hf_gpt2.sh
"""
import json
import os
import sys
import time

import torch


def make(d):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    os.makedirs(d, exist_ok=True)
    text = os.path.join(d, "tokenizer_text.txt")
    with open(text, "w") as f:  # GPT-2's vocabulary size needs a text with that many merges
        for i in range(60000):
            f.write(f"w{i} x{i % 977} y{i % 31}\n")
    tok = ByteLevelBPETokenizer(add_prefix_space=False)
    tok.train(files=[text], vocab_size=50257, min_frequency=1, special_tokens=["<|endoftext|>"], show_progress=False)
    tok.save_model(d)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=tok.get_vocab_size()))
    model.save_pretrained(d)
    print(json.dumps({"params": sum(p.numel() for p in model.parameters()), "vocab": tok.get_vocab_size(),
                      "bytes": os.path.getsize(os.path.join(d, "model.safetensors"))}))


def forward(d, batch, t, repeats):
    from transformers import GPT2LMHeadModel
    torch.set_num_threads(os.cpu_count())
    model = GPT2LMHeadModel.from_pretrained(d).eval()
    x = torch.randint(0, model.config.vocab_size, (batch, t))
    with torch.no_grad():
        model(input_ids=x)  # warm-up
        start = time.perf_counter()
        for _ in range(repeats):
            model(input_ids=x)
        s = time.perf_counter() - start
    print(json.dumps({"tokens_per_s": batch * t * repeats / s}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        forward(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
