#pragma once
// What `localist blocks --json` prints: a run's semantic blocks with their tokens and anchors, the
// recruitment decisions that made them (recruit.jsonl, up to the checkpoint's step), and, on the
// synthetic corpus or against a truth file, how well they match the true blocks
// (metrics/block_recovery.h).
#include <cstdint>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace localist {

// run: a run or checkpoint directory; truth: a truth.json (`localist synth --family topics`), or "".
nlohmann::json blocks_report(const std::string& run, const std::string& truth = "");

// What `localist blocks` prints without --json, from that JSON: each block with at most `show`
// of its tokens and anchors (0: all), each decision, and the agreement with the true blocks.
void print_blocks_report(std::FILE* out, const nlohmann::json& report, int64_t show);

}  // namespace localist
