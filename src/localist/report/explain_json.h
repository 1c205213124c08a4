#pragma once
// What `localist explain --json` prints (and localist.Model.explain returns in Python): per
// token, its block and target, where each shown head's attention went (block, anchor, target
// and anchor mass, entropy), the prediction; the summary over the shown heads.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "localist/blocks/block_map.h"
#include "localist/core/config.h"
#include "localist/data/tokenizer.h"
#include "localist/metrics/text_explain.h"
#include "localist/model/dial.h"

namespace localist {

// Everything one explanation shows.
struct ExplainView {
  std::string checkpoint;
  int64_t step = 0;
  const ModelConfig& model;
  const LocalistConfig& localist;
  const BlockMap& blocks;
  const Dial& dial;
  const data::Tokenizer& tokenizer;
  const std::vector<int32_t>& ids;
  const TextExplanation& explained;
  std::vector<std::pair<int64_t, int64_t>> shown;  // {layer, head}
  ExplainSummary summary;
  std::string note;                 // "" or window_note's
  int64_t layer = -1, head = -1;    // the selection asked for (-1: none)
};

nlohmann::json explanation_json(const ExplainView& x);

// The heads shown (and summarised): every one, or those of `layer` and/or `head` (-1: all).
std::vector<std::pair<int64_t, int64_t>> shown_heads(const ModelConfig& mc, int64_t layer, int64_t head);

// A text longer than the context is explained in windows: what that means ("" for one window).
std::string window_note(int64_t n, int64_t context, int64_t windows);

}  // namespace localist
