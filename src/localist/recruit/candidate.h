#pragma once
// A candidate block (docs/design.md §1.5): which block to split, which of its token types move to the
// new block, and the new rules document. The parent is the block with the most confused queries
// (at least min_confused) with a split not decided recently. With rc.split "communities" (the
// default), a block is first split all at once: its types' co-occurrence communities with the
// shared types set apart (recruit/communities.h); a split of "other" (under shared or context
// targets) makes every community a new block, a listed block keeps its largest community; if
// that partition was decided recently (or finds fewer than two communities), or with rc.split
// "two", the split is binary: the confused queries' token types
// (each seen at least min_count times) are split in two by the company they keep
// (type_clusters.h) and the smaller side becomes the new block; if that split was decided
// recently, its side is set aside and the remaining types are split again. Anchors of the new block and of
// what remains of its parent are re-chosen information-theoretically: the types whose
// continuation they predict best beyond what the block alone says (info_anchors, within_block),
// those scoring at least half the block's best, at most 16 per block. With rc.targets "hub" or
// "shared" the new rules let "other" read every block ("targets": {"other": "*"}): the tokens no
// block claims keep the context they had before the split; with "shared" every block may also
// read "other" ("shared": "other"): its markers and punctuation stay visible to all; with
// "context" every listed block's words also read the block of their surrounding text
// ("@context", not past a newline): a word quoted inside another block's text reads that text.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "localist/core/config.h"
#include "localist/data/token_file.h"
#include "localist/data/tokenizer.h"
#include "localist/blocks/block_map.h"
#include "localist/recruit/confusion.h"

namespace localist {

struct NewBlock {
  std::string name;
  std::vector<int64_t> tokens;
};

struct Candidate {
  int64_t parent = 0;               // the block split (0 = "other")
  std::string parent_name, name;    // ... and the new block's name
  std::vector<int64_t> tokens;      // the types that move to the new block
  // shared targets, a split of "other": every side becomes a block (the further ones here);
  // `stay` then holds the types all sides share, which stay in "other"
  std::vector<NewBlock> more;
  std::vector<int64_t> stay;        // the parent's clustered types that stay
  int64_t confused = 0;             // confused queries in the parent
  double split_quality = 0;         // 1 - within / total Hellinger scatter of the 2-means (0: communities)
  nlohmann::json rules;             // the rules document with the new block(s)
  std::vector<std::string> anchors;  // the new block's anchor tokens
  std::string key() const;          // identifies the split, so a rejected one waits before a retry
  std::vector<int64_t> block_sizes() const;  // types of each new block (one entry: one block)
};

// `rules`: the current vocab rules document (null or {} = one block). `tried`: keys of splits
// decided recently; blocks whose split is among them are skipped. nullopt: nothing to propose.
std::optional<Candidate> propose_candidate(const Confusion& confusion, const nlohmann::json& rules,
                                           const data::Tokenizer& tokenizer,
                                           const data::TokenFile& train, int64_t context_length,
                                           const RecruitConfig& rc, const std::set<std::string>& tried);

// Token ids as the texts a rules file names them by.
nlohmann::json token_texts(const data::Tokenizer& tokenizer, const std::vector<int64_t>& ids);

// Rules text of each block in a document: name -> token texts (block 0 "other" lists nothing).
std::vector<std::pair<std::string, std::vector<std::string>>> rules_blocks(const nlohmann::json& rules);

}  // namespace localist
