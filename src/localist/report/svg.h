#pragma once
// Inline SVG for the HTML report (issue 4): a line chart with axes, ticks, labels and a legend,
// and a heatmap with optional block boundaries. Pure strings: no files, no scripts, no fonts
// beyond the viewer's generic sans-serif, no external references.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace localist::svg {

// Text for an XML text node or attribute value: & < > " ' escaped.
std::string escape(const std::string& text);

// A number for a tick label: up to 4 significant digits, no trailing zeros ("0.25", "1e3", "2e-5").
std::string tick_label(double x);

struct Series {
  std::string label;
  std::vector<double> x, y;  // equal lengths; non-finite points (and y <= 0 on a log axis) skipped
  bool markers = true;       // a circle at every point
  bool lines = true;         // false: markers only (separate events, not a curve)
};

// The plot area inside the chart: margins in pixels (the legend goes below the x-axis label).
constexpr double kLeft = 64, kRight = 16, kTop = 28, kBottom = 44;

struct LineChart {
  std::string title, x_label, y_label;
  double width = 440, height = 280;  // the plot frame; the legend adds 16 px per series below
  bool log_y = false;
  bool log_x = false;  // x <= 0 skipped, like y on a log y-axis
  // Axis ranges; NaN = from the data (padded to ticks).
  double x_min = NAN, x_max = NAN, y_min = NAN, y_max = NAN;
  std::vector<Series> series;
};

// Pixel of data point (x, y) for a chart whose axis ranges are [x0, x1] x [y0, y1] (y0, y1 in
// data units also for a log axis): x from kLeft to width - kRight, y from height - kBottom
// (at y0) up to kTop (at y1); a log axis is linear in log10.
struct Frame {
  double x0, x1, y0, y1, width, height;
  bool log_y;
  bool log_x = false;
  double px(double x) const;
  double py(double y) const;
};

std::string line_chart(const LineChart& chart);

struct Heatmap {
  std::string title, x_label, y_label;
  int64_t rows = 0, cols = 0;
  std::vector<double> values;  // row-major rows x cols; NaN = no value (grey)
  double vmin = 0, vmax = 1;   // the colour scale: vmin white ... vmax dark blue
  double cell = 10;            // pixels per cell
  std::vector<std::string> row_labels, col_labels;  // optional, one per row / column
  // Block boundaries: a line before column k (and row k) for each k listed.
  std::vector<int64_t> col_boundaries, row_boundaries;
  bool annotate = false;  // print each value in its cell (small matrices)
  std::string css_class = "heatmap";
};

// The fill of value v on [vmin, vmax]: "#ffffff" at vmin, "#08306b" at vmax, clamped.
std::string heat_colour(double v, double vmin, double vmax);

std::string heatmap(const Heatmap& map);

}  // namespace localist::svg
