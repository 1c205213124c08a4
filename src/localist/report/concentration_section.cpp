#include "localist/report/concentration_section.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "localist/core/errors.h"
#include "localist/core/json_text.h"
#include "localist/report/svg.h"

namespace localist {
namespace {

namespace fs = std::filesystem;

std::string chart(const std::string& dir, const nlohmann::json& c) {
  auto points = c["points"];
  std::vector<nlohmann::json> sorted(points.begin(), points.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return number_or_nan(a, "margin_uniform") < number_or_nan(b, "margin_uniform");
  });
  svg::Series measured, bound;
  measured.label = "measured mean off-target mass";
  bound.label = "Lemma 1 bound at the uniform margin (mean over queries)";
  for (const auto& p : sorted) {
    const double x = number_or_nan(p, "margin_uniform");
    measured.x.push_back(x), measured.y.push_back(number_or_nan(p, "off_mass_mean"));
    bound.x.push_back(x), bound.y.push_back(number_or_nan(p, "bound_mean"));
  }
  svg::LineChart ch;
  ch.title = "Off-target mass against δ/τ: " + fs::path(dir).lexically_normal().filename().string();
  ch.x_label = "uniform margin δ/τ (p" + svg::tick_label(number_or_nan(c, "percentile")) + " of the queries)";
  ch.y_label = "off-target mass";
  ch.log_y = true;
  ch.series = {measured, bound};
  return svg::line_chart(ch);
}

}  // namespace

nlohmann::json read_concentration_json(const std::string& dir) {
  const auto path = (fs::path(dir) / "concentration.json").string();
  const auto j = read_json_object_file(path, "report: ");
  if (!j.contains("points") || !j["points"].is_array())
    throw DataError("report: '" + path + "' has no `points` array (not made by localist concentration?)");
  for (const auto& p : j["points"])
    if (!p.is_object()) throw DataError("report: '" + path + "': a point is not an object");
  return j;
}

std::string concentration_section(const std::vector<std::string>& dirs) {
  if (dirs.empty()) return "";
  std::ostringstream o;
  o << "<section id=\"concentration\"><h2>Lemma 1: off-target mass against the margin</h2>\n<p>Each chart is "
       "one <code>localist concentration</code> directory: κ (the dial's bias) and τ moved at inference on one "
       "checkpoint; the uniform margin is a low percentile of the per-query margins (docs/theory.md).</p>\n"
       "<div class=\"grid\">";
  std::vector<nlohmann::json> curves;
  for (const auto& d : dirs) curves.push_back(read_concentration_json(d));
  for (size_t i = 0; i < dirs.size(); ++i) o << "<figure>" << chart(dirs[i], curves[i]) << "</figure>\n";
  o << "</div>\n";
  for (size_t i = 0; i < dirs.size(); ++i) {
    const auto& s = curves[i].value("slope_tail", nlohmann::json::object());
    char line[256];
    std::snprintf(line, sizeof line,
                  "slope of ln(mean off-target mass) against δ/τ where the uniform margin is > 0: %.3f over %lld "
                  "points (the lemma's bound: -1)",
                  number_or_nan(s, "slope"), static_cast<long long>(s.value("points", 0)));
    o << "<p><code>" << svg::escape(dirs[i]) << "</code>: " << svg::escape(line) << "</p>\n";
  }
  o << "</section>\n";
  return o.str();
}

}  // namespace localist
