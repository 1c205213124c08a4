#!/usr/bin/env python3
"""Held-out corpus generators for block recruitment (docs/recruitment.md).

`localist synth --family topics` is the corpus recruitment was designed against (one line per
segment: "= KEY w w ... . ANSWER", consonant-vowel made-up words). These generators build text of
other kinds, with ground truth in the same truth.json format, so the method can be tested on
data it was not tuned to. Families:

  docs      documents of 3-8 lines (one sentence each) on one topic, ended by a line "#"; made-up
            words of consonant clusters and vowel digraphs, unequal topic sizes (15-60 types) and
            frequencies, Zipfian words inside a topic, ~40% shared function words and punctuation.
  agree     dependencies inside a line: "<det> NOUN <adv?> VERB <det> NOUN ." where the verb is of
            the first noun's topic and the second noun is too with probability 0.8 (else a noun
            of another topic: a reference across blocks). Each topic has nouns and verbs.
  mix       every line mixes two topics: 70% of its 6-14 content words from a primary topic, 30%
            from a secondary one chosen per line; function words interleaved (p = 0.35).
  shuffled  NULL: docs text whose topic-word occurrences are permuted over the whole split, so
            every word keeps its frequency but no co-occurrence structure remains; the truth is
            one block T0 holding every topic word (there is nothing to find).
  k1        NULL: docs with exactly one topic (--topics is forced to 1).

Each corpus is OUT_DIR/{train,valid,test}.txt (valid and test a tenth of train each; the same
world, other text seeds) and OUT_DIR/truth.json. Token counts include the newlines (the word
tokenizer keeps "\\n" as a token). The world comes from random.Random(seed), split i's text
(0 train, 1 valid, 2 test) from random.Random(seed * 1000 + i).

  python3 scripts/other_corpora.py FAMILY OUT_DIR [--topics K] [--seed S] [--tokens N]
"""
import argparse
import json
import os
import random
import sys

FAMILIES = ("docs", "agree", "mix", "shuffled", "k1")
FUNCTION_WORDS = ("the a of to in and is was for on with as by at from that this it be are").split()
DETERMINERS = ("the", "a", "this", "that", "every", "some", "no", "each")
ADVERBS = ("often", "never", "soon", "always", "rarely", "still", "only", "then")
DOC_MARK = "#"

ONSETS = ("bl br ch cl cr dr fl fr gl gr kl kr pl pr sc sh sk sl sm sn sp st str sw th tr tw wr "
          "b d f g h k m n p r s t v z").split()
NUCLEI = "ai au ea ee ei ie oa oi oo ou ua a e i o u y".split()
CODAS = ["", "ck", "ft", "ld", "lk", "lm", "lt", "mb", "mp", "nd", "ng", "nk", "nt", "rb", "rd",
         "rk", "rm", "rn", "rst", "rth", "sk", "sp", "st", "x", "th", "sh"]

TOPIC_ZIPF = 0.6      # topic frequencies ∝ rank^-0.6, ranks shuffled over the topics
WORD_ZIPF = 1.0       # word frequencies inside a topic ∝ rank^-1 ...
WORD_FLOOR = 0.2      # ... mixed with this much uniform mass (every type stays frequent)
FUNCTION_RATE = 0.28  # docs: a function word before a content word
COMMA_RATE = 0.08     # docs, mix: a comma after a content word (not the last)
MIX_PRIMARY = 0.7
MIX_FUNCTION_RATE = 0.35
AGREE_SAME = 0.8
AGREE_ADVERB = 0.4


# ---------------------------------------------------------------------------- the world

def made_up_word(rng):
    """Cluster + digraph/vowel + coda, once or twice: 4-9 lowercase letters, not CVCV."""
    while True:
        word = rng.choice(ONSETS) + rng.choice(NUCLEI) + rng.choice(CODAS)
        if rng.random() < 0.5:
            word += rng.choice(NUCLEI) + rng.choice(CODAS)
        if 4 <= len(word) <= 9:
            return word


def fresh_words(rng, n, used):
    """n new made-up words, none in `used` (which is updated)."""
    words = []
    while len(words) < n:
        word = made_up_word(rng)
        if word not in used:
            used.add(word)
            words.append(word)
    return words


def zipf_weights(n, s, floor=0.0):
    """Probabilities ∝ (1 - floor) * rank^-s (normalised) + floor / n."""
    raw = [(r + 1) ** -s for r in range(n)]
    total = sum(raw)
    return [(1 - floor) * x / total + floor / n for x in raw]


def topic_frequencies(rng, k):
    weights = zipf_weights(k, TOPIC_ZIPF)
    rng.shuffle(weights)
    return weights


def topic_sizes(rng, k, lo, hi):
    """Unequal sizes in [lo, hi] (all distinct while there are enough values)."""
    if k <= hi - lo + 1:
        return rng.sample(range(lo, hi + 1), k)
    return [rng.randint(lo, hi) for _ in range(k)]


class Vocab:
    """Words with Zipfian probabilities (floored), drawn by cumulative weights."""

    def __init__(self, words):
        self.words = words
        cum, acc = [], 0.0
        for p in zipf_weights(len(words), WORD_ZIPF, WORD_FLOOR):
            acc += p
            cum.append(acc)
        self.cum = cum

    def draw(self, rng):
        return rng.choices(self.words, cum_weights=self.cum)[0]


def docs_world(rng, k):
    used = set(FUNCTION_WORDS) | {DOC_MARK}
    sizes = topic_sizes(rng, k, 15, 60)
    return {"topics": [Vocab(fresh_words(rng, n, used)) for n in sizes],
            "freq": topic_frequencies(rng, k),
            "shared": FUNCTION_WORDS + [",", ".", DOC_MARK, "\n"]}


def agree_world(rng, k):
    used = set(DETERMINERS) | set(ADVERBS)
    nouns = [Vocab(fresh_words(rng, n, used)) for n in topic_sizes(rng, k, 10, 30)]
    verbs = [Vocab(fresh_words(rng, n, used)) for n in topic_sizes(rng, k, 5, 20)]
    return {"nouns": nouns, "verbs": verbs, "freq": topic_frequencies(rng, k),
            "shared": list(DETERMINERS) + list(ADVERBS) + [".", "\n"]}


def mix_world(rng, k):
    world = docs_world(rng, k)
    world["shared"].remove(DOC_MARK)
    return world


# ---------------------------------------------------------------------------- the text

def function_vocab():
    return Vocab(list(FUNCTION_WORDS))


def pick_topic(rng, world):
    return rng.choices(range(len(world["freq"])), weights=world["freq"])[0]


def other_topic(rng, world, i):
    """A topic other than i, by topic frequency (i itself when there is only one)."""
    k = len(world["freq"])
    if k == 1:
        return i
    others = [j for j in range(k) if j != i]
    return rng.choices(others, weights=[world["freq"][j] for j in others])[0]


def content_line(rng, draw_word, n, fn, function_rate):
    """n content words from draw_word(), function words before them, commas after, then "."."""
    line = []
    for c in range(n):
        if rng.random() < function_rate:
            line.append(fn.draw(rng))
        line.append(draw_word())
        if c < n - 1 and rng.random() < COMMA_RATE:
            line.append(",")
    return line + ["."]


def docs_unit(rng, world, fn):
    """One document: 3-8 sentences on one topic, then the "#" line."""
    topic = world["topics"][pick_topic(rng, world)]
    lines = [content_line(rng, lambda: topic.draw(rng), rng.randint(4, 9), fn, FUNCTION_RATE)
             for _ in range(rng.randint(3, 8))]
    return lines + [[DOC_MARK]]


def agree_unit(rng, world, fn):
    i = pick_topic(rng, world)
    j = i if rng.random() < AGREE_SAME else other_topic(rng, world, i)
    line = [rng.choice(DETERMINERS), world["nouns"][i].draw(rng)]
    if rng.random() < AGREE_ADVERB:
        line.append(rng.choice(ADVERBS))
    line += [world["verbs"][i].draw(rng), rng.choice(DETERMINERS), world["nouns"][j].draw(rng), "."]
    return [line]


def mix_unit(rng, world, fn):
    i = pick_topic(rng, world)
    primary, secondary = world["topics"][i], world["topics"][other_topic(rng, world, i)]

    def word():
        return (primary if rng.random() < MIX_PRIMARY else secondary).draw(rng)

    return [content_line(rng, word, rng.randint(6, 14), fn, MIX_FUNCTION_RATE)]


def generate(rng, world, unit, n_tokens):
    """Lines (token lists) until at least n_tokens tokens, newlines counted."""
    fn, lines, count = function_vocab(), [], 0
    while count < n_tokens:
        for line in unit(rng, world, fn):
            lines.append(line)
            count += len(line) + 1
    return lines


def shuffle_topic_words(rng, lines, topic_types):
    """Permute the topic-word occurrences over the split: same counts, no context."""
    spots = [(a, b) for a, line in enumerate(lines) for b, w in enumerate(line) if w in topic_types]
    words = [lines[a][b] for a, b in spots]
    rng.shuffle(words)
    for (a, b), w in zip(spots, words):
        lines[a][b] = w
    return lines


# ---------------------------------------------------------------------------- truth and output

def topic_blocks(world):
    if "nouns" in world:
        return [{"name": f"T{i}", "frequency": f, "nouns": n.words, "verbs": v.words,
                 "types": n.words + v.words}
                for i, (n, v, f) in enumerate(zip(world["nouns"], world["verbs"], world["freq"]))]
    return [{"name": f"T{i}", "frequency": f, "types": t.words}
            for i, (t, f) in enumerate(zip(world["topics"], world["freq"]))]


def build(family, k, seed, tokens):
    """(lines per split, truth) for one corpus."""
    make_world, unit = {"docs": (docs_world, docs_unit), "k1": (docs_world, docs_unit),
                        "shuffled": (docs_world, docs_unit), "agree": (agree_world, agree_unit),
                        "mix": (mix_world, mix_unit)}[family]
    world = make_world(random.Random(seed), k)
    blocks = topic_blocks(world)
    sizes = {"train": tokens, "valid": tokens // 10, "test": tokens // 10}
    splits = {}
    for index, (name, n) in enumerate(sizes.items()):
        rng = random.Random(seed * 1000 + index)
        splits[name] = generate(rng, world, unit, n)
        if family == "shuffled":
            all_types = {w for b in blocks for w in b["types"]}
            splits[name] = shuffle_topic_words(rng, splits[name], all_types)
    if family == "shuffled":
        blocks = [{"name": "T0", "frequency": 1.0, "types": [w for b in blocks for w in b["types"]]}]
    spec = {"topics": k, "seed": seed, "tokens": tokens, "valid_tokens": tokens // 10,
            "topic_zipf": TOPIC_ZIPF, "word_zipf": WORD_ZIPF, "word_floor": WORD_FLOOR,
            **family_spec(family)}
    truth = {"family": family, "spec": spec, "blocks": blocks, "shared": world["shared"]}
    return splits, truth


def family_spec(family):
    if family == "agree":
        return {"nouns_per_topic": [10, 30], "verbs_per_topic": [5, 20], "same_topic": AGREE_SAME,
                "adverb_rate": AGREE_ADVERB}
    base = {"types_per_topic": [15, 60], "comma_rate": COMMA_RATE}
    if family == "mix":
        return {**base, "primary": MIX_PRIMARY, "function_rate": MIX_FUNCTION_RATE,
                "content_per_line": [6, 14]}
    extra = {"shuffled": {"source_family": "docs", "source_topics_shuffled": True}}.get(family, {})
    return {**base, "function_rate": FUNCTION_RATE, "lines_per_doc": [3, 8],
            "content_per_line": [4, 9], "doc_mark": DOC_MARK, **extra}


def write(out_dir, splits, truth):
    os.makedirs(out_dir, exist_ok=True)
    for name, lines in splits.items():
        with open(os.path.join(out_dir, name + ".txt"), "w", encoding="utf-8", newline="\n") as f:
            f.writelines(" ".join(line) + "\n" for line in lines)
    with open(os.path.join(out_dir, "truth.json"), "w", encoding="utf-8") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")


def summary(family, splits, truth):
    counts = {n: sum(len(line) + 1 for line in lines) for n, lines in splits.items()}
    train = {w for line in splits["train"] for w in line}
    unseen = {w for n in ("valid", "test") for line in splits[n] for w in line} - train
    sizes = ",".join(str(len(b["types"])) for b in truth["blocks"])
    return (f"family={family} K={truth['spec']['topics']} types_per_topic=[{sizes}] "
            f"shared={len(truth['shared'])} tokens train={counts['train']} valid={counts['valid']} "
            f"test={counts['test']} eval_types_unseen_in_train={len(unseen)}")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("family", choices=FAMILIES, help="generator kind (see the module docstring)")
    p.add_argument("out_dir", help="directory for train/valid/test.txt and truth.json")
    p.add_argument("--topics", type=int, default=4, help="K, number of true topics (default 4)")
    p.add_argument("--seed", type=int, default=1, help="world seed (default 1)")
    p.add_argument("--tokens", type=int, default=300000, help="train tokens, approx (default 300000)")
    args = p.parse_args(argv)
    if args.topics < 1:
        p.error(f"--topics must be >= 1 (got {args.topics})")
    if args.tokens < 1000:
        p.error(f"--tokens must be >= 1000 (got {args.tokens})")
    if args.family == "k1":
        args.topics = 1
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    splits, truth = build(args.family, args.topics, args.seed, args.tokens)
    write(args.out_dir, splits, truth)
    print(summary(args.family, splits, truth))


if __name__ == "__main__":
    main()
