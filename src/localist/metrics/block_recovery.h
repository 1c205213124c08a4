#pragma once
// How well recovered token classes match a corpus's true blocks, over the word types the truth
// assigns to a block (its shared tokens — markers, function words, punctuation — aside; a type
// the tokenizer does not know is skipped):
//   adjusted_rand_index, purity   cluster_agreement.h, type by type
//   exact                         true blocks that some recovered class equals once the shared
//                                 tokens are set aside: all its types and no other block's
//   per block                     the recovered class holding most of its types, that share,
//                                 and the foreign (other true blocks') types in that class
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace localist {

struct TrueBlock {
  std::string name;
  std::vector<int64_t> types;  // token ids
};

// `found`: token id -> recovered class (a type missing from it is in class 0, "other").
// JSON: {"types", "true_blocks", "adjusted_rand_index", "purity", "exact", "exact_fraction",
// "blocks": [{"name", "types", "class", "share", "foreign", "exact"}]}.
nlohmann::json block_recovery(const std::vector<TrueBlock>& truth, const std::map<int64_t, int64_t>& found);

}  // namespace localist
