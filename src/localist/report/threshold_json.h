#pragma once
// What `localist threshold --json` prints (and localist.Model.threshold returns in Python): the
// threshold's constants per layer and head with how each was estimated, the threshold per own
// block and per named block, the penalties in force against it, the KKT check and the bounds.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "localist/blocks/block_map.h"
#include "localist/core/config.h"
#include "localist/metrics/threshold.h"

namespace localist {

// Where the estimate was measured.
struct ThresholdSource {
  std::string checkpoint, split;
  int64_t step = 0;
};

// lc and blocks: the setting the estimate ran under (the dial may have moved at inference).
nlohmann::json threshold_json(const ThresholdEstimate& e, const ThresholdSource& source, const LocalistConfig& lc,
                              const BlockMap& blocks);

}  // namespace localist
