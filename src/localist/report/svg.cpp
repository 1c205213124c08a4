#include "localist/report/svg.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace localist::svg {

namespace {

const char* const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string num(double x) {  // a coordinate: 2 decimals, no trailing zeros
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", x);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

double nice_step(double range, int target) {
  const double raw = range / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

std::vector<double> linear_ticks(double lo, double hi) {
  std::vector<double> out;
  const double step = nice_step(hi - lo, 5);
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return out;
}

std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> out;
  const int a = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int b = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  const bool fine = b - a <= 2;  // few decades: 1, 2, 5 in each
  const int every = std::max(1, (b - a + 7) / 8);  // many: at most about 8 decades labelled
  for (int e = a; e <= b; e += every)
    for (double m : {1.0, 2.0, 5.0}) {
      if (!fine && m != 1.0) continue;
      const double t = m * std::pow(10.0, e);
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) out.push_back(t);
    }
  return out;
}

// The data range of one axis, padded to ticks where not given.
void axis_range(const std::vector<double>& values, bool log, double& lo, double& hi) {
  const bool lo_given = std::isfinite(lo), hi_given = std::isfinite(hi);
  double mn = INFINITY, mx = -INFINITY;
  for (double v : values)
    if (std::isfinite(v) && (!log || v > 0)) mn = std::min(mn, v), mx = std::max(mx, v);
  if (!std::isfinite(mn)) mn = log ? 1 : 0, mx = log ? 10 : 1;
  if (lo_given) mn = lo;
  if (hi_given) mx = hi;
  if (log) {
    if (mx <= mn) mx = mn * 10;
    if (!lo_given) mn = std::pow(10.0, std::floor(std::log10(mn) + 1e-9));
    if (!hi_given) mx = std::pow(10.0, std::ceil(std::log10(mx) - 1e-9));
    if (mx <= mn) mx = mn * 10;
  } else {
    if (mx <= mn) {
      const double pad = mn == 0 ? 0.5 : std::abs(mn) * 0.1;
      if (!lo_given) mn -= pad;
      if (!hi_given || mx <= mn) mx = mn + 2 * pad;
    }
    const double step = nice_step(mx - mn, 5);
    if (!lo_given) mn = std::floor(mn / step + 1e-9) * step;
    if (!hi_given) mx = std::ceil(mx / step - 1e-9) * step;
  }
  lo = mn;
  hi = mx;
}

void text(std::ostringstream& o, double x, double y, const std::string& s, const char* anchor,
          const std::string& extra = "") {
  o << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" text-anchor=\"" << anchor << "\""
    << extra << ">" << escape(s) << "</text>";
}

}  // namespace

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // control characters are not allowed in XML 1.0 text: shown as a space
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') ? ' ' : c;
    }
  return out;
}

std::string tick_label(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  std::string s = buf;  // "1e+04" -> "1e4", "2e-05" -> "2e-5": narrower under a crowded log axis
  const auto e = s.find('e');
  if (e == std::string::npos) return s;
  std::string exponent = s.substr(e + 1);
  const bool negative = exponent[0] == '-';
  exponent.erase(0, exponent.find_first_not_of("+-0"));
  return s.substr(0, e + 1) + (negative ? "-" : "") + (exponent.empty() ? "0" : exponent);
}

namespace {
// Where v lies on [lo, hi], 0 to 1, on a linear or log10 scale.
double fraction(double v, double lo, double hi, bool log) {
  return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
}
}  // namespace

double Frame::px(double x) const {
  return kLeft + fraction(x, x0, x1, log_x) * (width - kLeft - kRight);
}

double Frame::py(double y) const {
  return height - kBottom - fraction(y, y0, y1, log_y) * (height - kTop - kBottom);
}

std::string line_chart(const LineChart& c) {
  std::vector<double> xs, ys;
  for (const auto& s : c.series) {
    xs.insert(xs.end(), s.x.begin(), s.x.end());
    ys.insert(ys.end(), s.y.begin(), s.y.end());
  }
  Frame f{c.x_min, c.x_max, c.y_min, c.y_max, c.width, c.height, c.log_y, c.log_x};
  axis_range(xs, c.log_x, f.x0, f.x1);
  axis_range(ys, c.log_y, f.y0, f.y1);
  const double legend_h = 16.0 * c.series.size();
  const double total_h = c.height + legend_h + 4;
  std::ostringstream o;
  o << "<svg class=\"chart\" width=\"" << num(c.width)
    << "\" height=\"" << num(total_h) << "\" viewBox=\"0 0 " << num(c.width) << " " << num(total_h)
    << "\" font-family=\"sans-serif\" font-size=\"11\">";
  o << "<title>" << escape(c.title) << "</title>";
  text(o, c.width / 2, 16, c.title, "middle", " font-weight=\"bold\" font-size=\"12\"");
  const double left = kLeft, right = c.width - kRight, top = kTop, bottom = c.height - kBottom;
  // grid and ticks
  const auto xt = c.log_x ? log_ticks(f.x0, f.x1) : linear_ticks(f.x0, f.x1);
  const auto yt = c.log_y ? log_ticks(f.y0, f.y1) : linear_ticks(f.y0, f.y1);
  for (double t : xt) {
    const double x = f.px(t);
    o << "<line x1=\"" << num(x) << "\" y1=\"" << num(top) << "\" x2=\"" << num(x) << "\" y2=\""
      << num(bottom) << "\" stroke=\"#eeeeee\"/>";
    o << "<line x1=\"" << num(x) << "\" y1=\"" << num(bottom) << "\" x2=\"" << num(x) << "\" y2=\""
      << num(bottom + 4) << "\" stroke=\"#333333\"/>";
    text(o, x, bottom + 15, tick_label(t), "middle");
  }
  for (double t : yt) {
    const double y = f.py(t);
    o << "<line x1=\"" << num(left) << "\" y1=\"" << num(y) << "\" x2=\"" << num(right) << "\" y2=\""
      << num(y) << "\" stroke=\"#eeeeee\"/>";
    o << "<line x1=\"" << num(left - 4) << "\" y1=\"" << num(y) << "\" x2=\"" << num(left)
      << "\" y2=\"" << num(y) << "\" stroke=\"#333333\"/>";
    text(o, left - 6, y + 4, tick_label(t), "end");
  }
  // axes
  o << "<path d=\"M" << num(left) << " " << num(top) << " V" << num(bottom) << " H" << num(right)
    << "\" fill=\"none\" stroke=\"#333333\"/>";
  text(o, (left + right) / 2, bottom + 32, c.x_label, "middle");
  text(o, 14, (top + bottom) / 2, c.y_label, "middle",
       " transform=\"rotate(-90 14 " + num((top + bottom) / 2) + ")\"");
  // series
  for (size_t i = 0; i < c.series.size(); ++i) {
    const auto& s = c.series[i];
    const char* colour = kPalette[i % (sizeof kPalette / sizeof *kPalette)];
    std::string d;
    std::ostringstream marks;
    for (size_t k = 0; k < std::min(s.x.size(), s.y.size()); ++k) {
      const double x = s.x[k], y = s.y[k];
      if (!std::isfinite(x) || !std::isfinite(y) || (c.log_y && y <= 0) || (c.log_x && x <= 0)) continue;
      const double px = f.px(x), py = f.py(y);
      d += (d.empty() ? "M" : " L") + num(px) + " " + num(py);
      if (s.markers)
        marks << "<circle cx=\"" << num(px) << "\" cy=\"" << num(py) << "\" r=\"2.5\" fill=\""
              << colour << "\"/>";
    }
    o << "<g class=\"series\">";
    if (!d.empty() && s.lines)
      o << "<path d=\"" << d << "\" fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"1.5\"/>";
    o << marks.str() << "</g>";
    // legend row
    const double ly = c.height + 12 + 16.0 * i;
    o << "<line x1=\"" << num(left) << "\" y1=\"" << num(ly - 4) << "\" x2=\"" << num(left + 18)
      << "\" y2=\"" << num(ly - 4) << "\" stroke=\"" << colour << "\" stroke-width=\"2\"/>";
    text(o, left + 24, ly, s.label, "start", " class=\"legend\"");
  }
  o << "</svg>";
  return o.str();
}

std::string heat_colour(double v, double vmin, double vmax) {
  if (!std::isfinite(v)) return "#dddddd";
  double t = vmax > vmin ? (v - vmin) / (vmax - vmin) : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  const int lo[3] = {0xff, 0xff, 0xff}, hi[3] = {0x08, 0x30, 0x6b};
  char buf[8];
  int c[3];
  for (int k = 0; k < 3; ++k) c[k] = static_cast<int>(std::lround(lo[k] + t * (hi[k] - lo[k])));
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c[0], c[1], c[2]);
  return buf;
}

std::string heatmap(const Heatmap& m) {
  const bool row_labels = !m.row_labels.empty(), col_labels = !m.col_labels.empty();
  const double left = row_labels ? 64 : 28, top = col_labels ? 76 : 34;
  const double w = m.cols * m.cell, h = m.rows * m.cell;
  const double width = left + w + 12, height = top + h + 24;
  std::ostringstream o;
  o << "<svg class=\"" << escape(m.css_class) << "\" width=\""
    << num(width) << "\" height=\"" << num(height) << "\" viewBox=\"0 0 " << num(width) << " "
    << num(height) << "\" font-family=\"sans-serif\" font-size=\"" << num(std::min(11.0, m.cell * 0.8))
    << "\">";
  o << "<title>" << escape(m.title) << "</title>";
  text(o, 4, 14, m.title, "start", " font-weight=\"bold\" font-size=\"11\"");
  for (int64_t r = 0; r < m.rows; ++r)
    for (int64_t c = 0; c < m.cols; ++c) {
      const size_t i = static_cast<size_t>(r * m.cols + c);
      const double v = i < m.values.size() ? m.values[i] : NAN;
      o << "<rect class=\"cell\" x=\"" << num(left + c * m.cell) << "\" y=\"" << num(top + r * m.cell)
        << "\" width=\"" << num(m.cell) << "\" height=\"" << num(m.cell) << "\" fill=\""
        << heat_colour(v, m.vmin, m.vmax) << "\"><title>" << r << "," << c << ": "
        << (std::isfinite(v) ? tick_label(v) : "none") << "</title></rect>";
      if (m.annotate && std::isfinite(v)) {
        const double t = m.vmax > m.vmin ? (v - m.vmin) / (m.vmax - m.vmin) : 0;
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.2f", v);
        text(o, left + (c + 0.5) * m.cell, top + (r + 0.5) * m.cell + 3, buf, "middle",
             std::string(" font-size=\"9\" fill=\"") + (t > 0.5 ? "#ffffff" : "#000000") + "\"");
      }
    }
  o << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(w) << "\" height=\""
    << num(h) << "\" fill=\"none\" stroke=\"#333333\"/>";
  for (int64_t k : m.col_boundaries)
    if (k > 0 && k < m.cols)
      o << "<line class=\"boundary\" x1=\"" << num(left + k * m.cell) << "\" y1=\"" << num(top)
        << "\" x2=\"" << num(left + k * m.cell) << "\" y2=\"" << num(top + h)
        << "\" stroke=\"#e6550d\" stroke-width=\"1.2\"/>";
  for (int64_t k : m.row_boundaries)
    if (k > 0 && k < m.rows)
      o << "<line class=\"boundary\" x1=\"" << num(left) << "\" y1=\"" << num(top + k * m.cell)
        << "\" x2=\"" << num(left + w) << "\" y2=\"" << num(top + k * m.cell)
        << "\" stroke=\"#e6550d\" stroke-width=\"1.2\"/>";
  for (size_t r = 0; r < m.row_labels.size() && static_cast<int64_t>(r) < m.rows; ++r)
    text(o, left - 3, top + (r + 0.5) * m.cell + m.cell * 0.3, m.row_labels[r], "end");
  for (size_t c = 0; c < m.col_labels.size() && static_cast<int64_t>(c) < m.cols; ++c) {
    const double x = left + (c + 0.5) * m.cell + m.cell * 0.3, y = top - 3;
    text(o, x, y, m.col_labels[c], "start",
         " transform=\"rotate(-90 " + num(x) + " " + num(y) + ")\"");
  }
  if (!m.x_label.empty()) text(o, left + w / 2, top + h + 16, m.x_label, "middle");
  if (!m.y_label.empty())
    text(o, 10, top + h / 2, m.y_label, "middle",
         " transform=\"rotate(-90 10 " + num(top + h / 2) + ")\"");
  o << "</svg>";
  return o.str();
}

}  // namespace localist::svg
