#pragma once
// What `localist blocks --json` prints: a run's semantic blocks with their tokens and anchors, the
// recruitment decisions that made them (recruit.jsonl, up to the checkpoint's step), and, on the
// synthetic corpus or against a truth file, how well they match the true blocks
// (metrics/block_recovery.h).
#include <string>

#include <nlohmann/json.hpp>

namespace localist {

// run: a run or checkpoint directory; truth: a truth.json (`localist synth --family topics`), or "".
nlohmann::json blocks_report(const std::string& run, const std::string& truth = "");

}  // namespace localist
