#pragma once
// The report's experiment figures: for each directory holding a figures.json, written by an
// experiment script (scripts/threshold_sweep.sh, routing_bounds_experiment.sh,
// weight_penalty_blocks.sh) from the JSON its localist commands printed, the charts it names.
// The format, checked field by field (a DataError names the file and the field):
//   {"title": "...", "caption": "... commands, machine, data ...",
//    "charts": [{"title": "...", "x_label": "...", "y_label": "...", "log_x": false, "log_y": false,
//                "series": [{"label": "...", "x": [numbers], "y": [numbers or null]}]}]}
#include <string>
#include <vector>

#include "localist/report/svg.h"

namespace localist {

struct Figures {
  std::string title, caption;
  std::vector<svg::LineChart> charts;
};

// DIR/figures.json; PathError if unreadable, DataError naming the file and field otherwise.
Figures read_figures(const std::string& dir);

// One HTML section per directory (inline SVG); empty when `dirs` is.
std::string figures_section(const std::vector<std::string>& dirs);

}  // namespace localist
