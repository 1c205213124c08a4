"""Reference encodings from Hugging Face `tokenizers` for tests/data/test_byte_bpe_tokenizer.cpp.

Trains a byte-level BPE the way GPT-2's tokenizer is built (ByteLevel pre-tokenizer without a
prefix space, <|endoftext|> special) on the given texts, saves it both as GPT-2's files
(vocab.json + merges.txt) and as tokenizer.json, and writes the ids `tokenizers` gives for the
whole of each text, so that the C++ tokenizer can be compared token for token.

usage: hf_byte_bpe.py OUT_DIR VOCAB_SIZE TEXT...
writes OUT_DIR/files/{vocab.json,merges.txt}, OUT_DIR/json/tokenizer.json, OUT_DIR/ids<i>.json
"""
import json
import os
import sys

from tokenizers import ByteLevelBPETokenizer

out, vocab_size, texts = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
tok = ByteLevelBPETokenizer(add_prefix_space=False)
tok.train(files=texts, vocab_size=vocab_size, min_frequency=2, special_tokens=["<|endoftext|>"],
          show_progress=False)
os.makedirs(os.path.join(out, "files"), exist_ok=True)
os.makedirs(os.path.join(out, "json"), exist_ok=True)
tok.save_model(os.path.join(out, "files"))
tok.save(os.path.join(out, "json", "tokenizer.json"))
for i, path in enumerate(texts):
    with open(path, encoding="utf-8", newline="") as f:  # newline="": \r\n stays as it is
        ids = tok.encode(f.read()).ids
    with open(os.path.join(out, f"ids{i}.json"), "w") as f:
        json.dump(ids, f)
print(f"hf_byte_bpe: vocab {tok.get_vocab_size()}, {len(texts)} texts encoded")
