#pragma once
// What `localist threshold` prints without --json: the threshold's constants with how each was
// estimated, the threshold per layer and head (and per named block) against the penalties in
// force, the KKT check on the weight groups, and the concentration and entropy bounds.
#include <cstdio>

#include "localist/blocks/block_map.h"
#include "localist/core/config.h"
#include "localist/metrics/threshold.h"
#include "localist/report/threshold_json.h"

namespace localist {

void print_threshold(std::FILE* out, const ThresholdEstimate& e, const ThresholdSource& source,
                     const LocalistConfig& lc, const BlockMap& blocks);

}  // namespace localist
