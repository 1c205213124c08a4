#pragma once
// Splitting a set of token types into as many blocks as the company they keep says, at once
// (docs/recruitment.md, "Many blocks in one decision"). The types are the nodes of a graph whose
// edge weights count how often two of them occur within opt.window positions of each other in
// the training data; the blocks are the graph's communities, found by maximising Newman's
// modularity Q = sum_c [ W_c / 2m - (D_c / 2m)^2 ] with the Louvain method (local moves of one
// node to the neighbouring community that raises Q most, then communities merged into nodes and
// moved again, until nothing moves). Modularity measures each community's inner weight against
// what the nodes' degrees alone would give it, so a type that occurs next to everything (a
// marker, a function word, punctuation) does not pull blocks together the way raw counts would;
// the number of blocks is not given, it is the one that maximises Q.
#include <cstdint>
#include <vector>

#include "localist/data/token_file.h"
#include "localist/recruit/type_clusters.h"

namespace localist {

// Louvain communities of `types` (deterministic: nodes visited in id order). Each community
// sorted by id, the largest first; types with no neighbour among `types` form communities of one.
std::vector<std::vector<int64_t>> communities(const data::TokenFile& train, const std::vector<int64_t>& types,
                                              const TypeClusterOptions& opt = {});

// The communities of `types` with the types every community shares set apart: a type is shared
// when it keeps each other community's company at least 0.4 times as much as its own's (company:
// the share of its neighbours, all tokens within opt.window, that are a community's tokens, over
// that community's share of all tokens). A block's word keeps its own block's company far more
// than any other's; a marker, function word or punctuation keeps everyone's (sift_shared's idea,
// type_clusters.h, for any number of sides, measured against the type's own community so that
// one community holding shared tokens does not make every word look shared). The shared types
// leave the graph and the rest is partitioned again, until no type is set apart (at most
// `max_rounds` rounds). Then two communities that keep each other's company at >= 0.4 of their
// own are merged, the closest pair first (modularity can cut one block along its inner
// structure: its key words and their answers). Communities of one type join `shared`. blocks:
// two or more types each, the largest first; shared: sorted.
struct SharedCommunities {
  std::vector<std::vector<int64_t>> blocks;
  std::vector<int64_t> shared;
};
SharedCommunities shared_communities(const data::TokenFile& train, const std::vector<int64_t>& types,
                                     const TypeClusterOptions& opt = {}, int64_t max_rounds = 4);

}  // namespace localist
