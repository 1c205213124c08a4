#pragma once
// Splitting a set of token types in two by the company they keep (the distributional
// hypothesis: types of one semantic block occur among the same neighbours). Each type's
// profile is the distribution of the tokens within `window` positions of its occurrences,
// over the `features` most frequent types, compared in Hellinger geometry (square roots of
// the probabilities), projected on their `components` leading principal directions (a block
// moves many types together; what a single type predicts on its own is spread thin). 2-means
// from `restarts` k-means++ starts drawn from `seed` (deterministic); the tightest split wins.
// `members`: types that do not shape the split but join the side whose centre is nearer, in
// the same projection (a block's quiet types, e.g. anchors whose own attention is sharp, must
// move with it: the dial hides from a block every key outside its class).
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "localist/data/token_file.h"

namespace localist {

struct TypeSplit {
  std::vector<int64_t> a, b;  // the two clusters, each sorted by token id
  double within = 0;          // sum of squared Hellinger distances to the cluster centres
  double total = 0;           // ... to the centre of all types (1 - within/total: how clean)
};

struct TypeClusterOptions {
  int64_t window = 3;
  int64_t features = 512;
  int64_t max_tokens = 1000000;  // training tokens read (the first ones)
  int64_t iterations = 50;
  int64_t restarts = 16;
  int64_t components = 8;
  uint64_t seed = 7;
};

// Each grouped type's neighbours (all tokens within opt.window of its occurrences) counted by the
// group they belong to (column G: all neighbours), and each group's tokens in the data (the
// first opt.max_tokens). A type absent from the data has no row.
struct GroupCompany {
  std::unordered_map<int64_t, std::vector<double>> of;  // type -> G + 1 counts
  std::vector<double> size;                             // tokens of each group
  double n = 0;                                         // tokens read
  // lift: the share of a row's neighbours that are group o's tokens over o's share of all tokens
  double lift(const std::vector<double>& row, int64_t o) const {
    return row.back() > 0 && size[o] > 0 ? row[o] / row.back() / (size[o] / n) : 0.0;
  }
};
GroupCompany group_company(const data::TokenFile& train, const std::vector<std::vector<int64_t>>& groups,
                           const TypeClusterOptions& opt = {});

// Types absent from the data keep an all-zero profile (and join the nearer centre).
TypeSplit split_types(const data::TokenFile& train, const std::vector<int64_t>& types,
                      const TypeClusterOptions& opt = {}, const std::vector<int64_t>& members = {});

// The types of a split that keep the company of both sides (markers, function words,
// punctuation: shared by every block), set apart. A side's type keeps the other side's company
// when the share of its neighbours (within opt.window) that are the other side's tokens is at
// least half that side's share of all tokens. One side is sifted against the other, then the
// other against what is left of the first (the shared tokens no longer count as its company);
// of the two orders, the one that sets fewer types apart wins (the shared tokens sit on one
// side, and every type keeps their company: sifted second, that side would lose everything).
// Measured on the topic corpus (docs/recruitment.md): other blocks' words 0.05-0.09 of their
// neighbours from a true block making 0.28 of the text, shared tokens 0.25-0.34, the block's
// own words 0.42-0.56.
struct SharedSift {
  std::vector<int64_t> a, b, shared;  // each sorted
};
SharedSift sift_shared(const data::TokenFile& train, const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                       const TypeClusterOptions& opt = {});

// The split made consistent with the company each type keeps: each type of a ∪ b moves, in
// turn, to the side holding more of its neighbours (within opt.window; tokens outside a ∪ b
// do not count), until a sweep moves nothing (at most `max_sweeps`). A split along a block's
// edge stays as it is (a block's words keep each other's company); a split inside one block
// (its key words and their answers, a random half) falls back into the side the block's other
// words hold, and one side empties: there was no edge. Types with no neighbour in a ∪ b stay.
void settle_sides(const data::TokenFile& train, std::vector<int64_t>& a, std::vector<int64_t>& b,
                  const TypeClusterOptions& opt = {}, int64_t max_sweeps = 20);

}  // namespace localist
