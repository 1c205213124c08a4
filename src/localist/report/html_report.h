#pragma once
// `localist report` (issue 4): one self-contained HTML page (inline SVG from report/svg.h, no
// scripts, no external references) from sweep directories (DIR/sweep.json, made by
// `localist sweep`) and training run directories (checkpoint/ and metrics.jsonl):
//   sweep curves     entropy, pointer fidelity, block fidelity, perplexity (log), accuracy
//                    against lambda, one series per sweep, labelled with its protocol
//   training curves  train loss per logged step and eval loss at each evaluation (metrics.jsonl)
//   attention        per layer/head heatmaps of a sample text at each chosen lambda, with the
//                    block boundaries drawn, and the block-mass matrix of the same text
//   concentration    Lemma 1's curves (report/concentration_section.h)
//   figures          the charts an experiment script wrote (report/figures_section.h)
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "localist/core/config.h"

namespace localist {

struct ReportOptions {
  std::vector<std::string> dirs;  // sweep or run directories, in the order shown
  std::string text;               // sample text; empty = the run's validation split
  int64_t tokens = 48;            // the first N tokens of the sample (at most the context)
  std::vector<double> lambdas;    // empty = 0 and the checkpoint's own lambda
  std::string device = "cpu";
  // The localist settings to show a checkpoint with (its own, overridden by flags); identity
  // when unset.
  std::function<LocalistConfig(const LocalistConfig&)> localist;
};

// "sweep" (DIR/sweep.json), "concentration" (DIR/concentration.json), "figures"
// (DIR/figures.json) or "run" (DIR/checkpoint/checkpoint.json or DIR/metrics.jsonl);
// PathError naming the directory otherwise.
std::string report_dir_kind(const std::string& dir);

// A sweep directory's sweep.json; DataError naming the file if it is not valid JSON with
// `settings` and `rows`.
nlohmann::json read_sweep_json(const std::string& dir);

// The whole page. Throws UserError (PathError / DataError / CheckpointError ...) on any input
// it cannot use, before anything is written.
std::string build_report(const ReportOptions& options);

// build_report, written atomically to `out` (PATH.tmp then rename): never half-written.
void write_report(const ReportOptions& options, const std::string& out);

}  // namespace localist
