#pragma once
// The embedded default corpus: a stream of segments generated from a seed, whose semantic
// blocks, anchors and dependencies are known exactly, so localist metrics (pointer fidelity,
// block mass) and perplexity can be checked against ground truth and against the oracle.
//
// Generative process (K = n_blocks, V = vocab_per_block), one segment at a time, independently:
//   1. block i ~ uniform{0..K-1}, value v ~ uniform{0..V-1}, length L ~ uniform{min..max}
//      (L counts the words of the segment, anchor included; the <eos> comes on top).
//   2. position 0: the anchor word, block i's capital letter and v: "A7" is block 0, value 7.
//   3. positions p = 1..L-1 alternate:
//        odd p  -> filler: block i's word with an index drawn uniformly from 0..V-1 ("a3").
//                  Free noise: a perfect model knows only that it is one of block i's V words.
//        even p -> echo: block i's word with index (v * (2k + 1) + i) mod V, where k = p / 2.
//                  A deterministic function of the anchor (and position): predictable only by
//                  attending back to the anchor.
//   4. the segment ends with "\n" (the word tokenizer's <eos>).
// Words are separated by single spaces. Each block's words are lowercase letter + index
// ("a0".."a11" for block 0, "b0".. for block 1), anchors capital letter + value.
// Ground truth per word-tokenizer token (index t into train_tokenizer("word", text, 0)->encode(text)):
//   block      the segment's block, for every token including the <eos>;
//   anchor     position of the segment's anchor (the anchor's own position for the anchor);
//   depends_on the anchor for echoes; -1 for anchors, fillers and <eos> (the segment length is
//              independent of everything, so <eos> is free: its uncertainty is the length's);
//   is_anchor  1 for anchors.
// The stream holds whole segments: at least n_tokens tokens, at most max_segment more.
//
// Recall (recall = r > 0): each block keeps the value of its latest anchor. A segment opens with
// a new anchor with probability 1 - r (always for its block's first segment); otherwise position
// 0 holds the block's marker word ("a_", role Marker: it says where the segment starts, inside
// the block) and the echoes are the function of the block's *latest* value, whose anchor lies in
// an earlier segment, behind the segments of other blocks that came since: to predict them a
// query must find the last anchor of its own block among the anchors of all blocks, which
// reading one's own block (the dial over token classes) gives at once. `anchor` and
// `depends_on` point at that earlier anchor.
//
// Interleaved (interleave = true): the K blocks are K concurrent streams. Each stream runs the
// process above without the <eos> (a segment ends when the stream's next token is an anchor).
// The first token's stream is uniform; after that the next token continues the previous
// token's stream with probability `stay`, else comes from one of the other K - 1 uniformly. The
// text is one line of n_tokens words. A word's block is still its letter, but the anchor it
// depends on is the latest anchor *of its own block*, often behind bursts of other blocks (with
// their own anchors): the case where reading one's own block (the dial over token classes) is
// what prediction needs, and ordinary attention must learn to skip the other blocks.
#include <cstdint>
#include <string>
#include <vector>

namespace localist::data {

struct SyntheticSpec {
  int64_t n_blocks = 4;
  int64_t vocab_per_block = 12;
  int64_t min_segment = 6;
  int64_t max_segment = 14;
  int64_t n_tokens = 200000;
  uint64_t seed = 1234;
  bool interleave = false;
  double stay = 0.8;  // interleaved: P(next token from the same stream)
  double recall = 0;  // P(a segment recalls its block's latest value instead of a new anchor)

  void validate() const;  // ConfigError naming the field
};

enum class SyntheticRole : uint8_t { Anchor = 0, Filler = 1, Echo = 2, End = 3, Marker = 4 };

struct SyntheticCorpus {
  std::string text;                 // words separated by spaces, one segment per line
  std::vector<int32_t> block;       // per token: true block id
  std::vector<int64_t> anchor;      // per token: position of its segment's anchor token
  std::vector<int64_t> depends_on;  // per token: the earlier position it is a function of, or -1
  std::vector<uint8_t> is_anchor;
  std::vector<SyntheticRole> role;  // per token: anchor, filler, echo or end (<eos>)
  int64_t size() const { return static_cast<int64_t>(block.size()); }
};

SyntheticCorpus generate_synthetic(const SyntheticSpec& spec);

// The words of the process, so tests and rules files need not re-derive the naming scheme.
std::string synthetic_word(int64_t block, int64_t index);    // "c5"
std::string synthetic_anchor(int64_t block, int64_t value);  // "C5"
std::string synthetic_marker(int64_t block);                 // "c_": a recall segment's opening
int64_t synthetic_echo_index(const SyntheticSpec& spec, int64_t block, int64_t value, int64_t k);

// The oracle: the entropy rate of the process in nats/token, i.e. the expected cross-entropy of
// a perfect model that sees each segment from its anchor on. Exact, not approximate:
//   per segment E[NLL] = ln K + ln V (anchor) + ln(max - min + 1) (the length, paid through the
//   <eos>/continue decisions) + E[floor(L / 2)] ln V (fillers); echoes cost 0.
//   rate = E[NLL per segment] / (E[L] + 1)   (renewal-reward over independent segments).
// Recall r: per segment ln K + h(r) + (1 - r) ln V + ln(max - min + 1) + E[floor(L / 2)] ln V over
//   E[L] + 1 tokens (h the binary entropy in nats; a block's first segment, whose anchor is
//   forced, is a vanishing exception the rate ignores and the per-token NLL below does not).
// Interleaved: the stream choice, -stay ln stay - (1 - stay) ln((1 - stay) / (K - 1)) per token
//   (0 for K = 1), + per segment ln V (anchor) + ln(max - min + 1)
//   (the length, paid at each continue/new-anchor decision) + E[floor(L / 2)] ln V, over E[L].
// A model with a finite context window cannot reach it at positions whose anchor lies before
// the window start (the first tokens of each window), so its achievable value is slightly above.
double synthetic_optimal_nll(const SyntheticSpec& spec);

// Per token of `corpus`: the exact NLL (nats) of the true conditional distribution given the
// full history. Its mean over the corpus fluctuates around synthetic_optimal_nll(spec).
//   anchor: ln(K V); word at segment position p: -ln P(L > p | L >= p) (+ ln V for a filler);
//   <eos> at position p: -ln P(L = p | L >= p).
// Recall: a segment's first token also pays its anchor-or-recall choice (-ln(1 - r) or -ln r,
//   nothing for a block's first segment); a marker costs ln K (its block).
// Interleaved: the stream choice (ln K for the first token, then -ln stay or
//   -ln((1 - stay) / (K - 1))) plus the stream's own term: a stream's first anchor ln V, a later anchor
//   after a segment of length p: -ln P(L = p | L >= p) + ln V; fillers and echoes as above.
std::vector<double> synthetic_oracle_nll(const SyntheticCorpus& corpus, const SyntheticSpec& spec);

}  // namespace localist::data
