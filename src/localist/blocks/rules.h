#pragma once
// A rules file (docs/design.md §1.7): JSON naming semantic blocks, their anchors, target mappings and
// per-block dial settings. Read at training (stored in the checkpoint) and swappable at inference
// without retraining. Errors name the file, the line and the field.
//
//   {
//     "blocks": [                              token classes, for --blocks vocab; block 0 is
//       {"name": "digits",                     "other" (every unlisted token), listed blocks
//        "tokens": ["0", "1"],                 are 1, 2, ... in file order
//        "patterns": ["^[0-9]+$"],             regular expressions (ECMAScript) matched against
//        "anchors": ["0"],                     whole token texts; anchors: tokens of this block
//        "lambda_scale": 0.5}                  that point to it; lambda_scale in [0, 1] scales
//     ],                                       the dial for queries whose target is this block
//     "targets": {"digits": "other"},          query block -> the block it should read (vocab);
//                                              "*": every block (a hub: the dial leaves it be);
//                                              "@context": the listed block most frequent
//                                              among the last context_window positions
//     "context_window": 16,                    vocab: positions "@context" looks back over
//     "context_breaks": ["\n"],                vocab: tokens "@context" does not look back past
//     "shared": "other",                       vocab: a block every query may read besides its target
//     "target_offset": -1,                     window/segment: read the block `offset` away
//     "anchors": ["\n"]                        anchor tokens of whatever block they fall in
//   }
// Tokens are written as the tokenizer shows them (Tokenizer::token_text: "\n" for a newline).
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "localist/core/config.h"
#include "localist/core/errors.h"
#include "localist/data/tokenizer.h"

namespace localist {

// A rules file that cannot be used: "rules.json:12: blocks[1].tokens[3]: ...".
struct RulesError : UserError {
  using UserError::UserError;
};

// A target naming every block: the query block is a hub, read as without the dial.
inline constexpr const char* kEveryBlock = "*";
// A target that depends on the position: the block of the surrounding text (the listed block,
// not "other" nor the shared one, most frequent among the last context_window positions; none
// there: every block).
// A word quoted from another block inside a segment reads the segment's block, not its own.
inline constexpr const char* kContextBlock = "@context";
inline constexpr int64_t kContextTarget = -2;  // Rules::target's value for "@context"

struct Rules {
  std::vector<std::string> block_names;             // vocab: [0] = "other", then the listed
  std::unordered_map<int64_t, int64_t> token_block;  // vocab: token id -> block id (>= 1)
  std::unordered_set<int64_t> anchor_tokens;         // listed anchors (empty: none listed)
  std::unordered_map<int64_t, int64_t> target;       // vocab: query block -> target block (-1: "*", every
                                                     // block; kContextTarget: "@context")
  int64_t context_window = 16;                       // vocab: positions "@context" looks back over
  std::unordered_set<int64_t> context_breaks;        // vocab: tokens "@context" does not look back past
  int64_t shared_block = -1;                         // vocab: readable by every query with a target
  int64_t target_offset = 0;                         // window/segment: b(t) = beta(t) + offset
  std::unordered_map<int64_t, double> lambda_scale;  // vocab: target block -> dial scale

};

// Checks `doc` against the tokenizer and the block kind ("window", "segment" or "vocab") and
// resolves token texts to ids. `source` names the document in errors; `text`, when given, is
// its JSON text, so errors can also name the line.
Rules parse_rules(const nlohmann::json& doc, const data::Tokenizer& tokenizer,
                  const std::string& block_kind, const std::string& source,
                  const std::string* text = nullptr);

// Reads a rules file's JSON; PathError if unreadable, RulesError naming the line if malformed.
nlohmann::json read_rules_json(const std::string& path, std::string* text = nullptr);
// The same from the file's text; `source` names it in errors.
nlohmann::json parse_rules_json(const std::string& text, const std::string& source);

// A rules file's text (already read: e.g. by a watcher that compared it) checked against the
// tokenizer for blocks = `blocks`; errors name `source`, the line and the field.
Rules rules_from_text(const std::string& blocks, const std::string& text, const std::string& source,
                      const data::Tokenizer& tokenizer, nlohmann::json* doc = nullptr);

// The rules a config asks for: its rules_file read anew (and checked, errors naming lines) when
// `rules` is null, else its stored `rules` document; none when it has neither.
// `doc` receives the document (what a checkpoint stores).
Rules rules_of(const LocalistConfig& config, const data::Tokenizer& tokenizer,
               nlohmann::json* doc = nullptr);

}  // namespace localist
