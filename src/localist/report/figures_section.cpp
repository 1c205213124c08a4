#include "localist/report/figures_section.h"

#include <cmath>
#include <filesystem>
#include <sstream>

#include "localist/core/errors.h"
#include "localist/core/json_text.h"

namespace localist {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxCharts = 64, kMaxSeries = 16, kMaxPoints = 100000;

// Reads one document, naming the file and the field in every error.
struct Reader {
  std::string path;

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw DataError("report: '" + path + "': " + field + " " + what);
  }
  std::string text(const nlohmann::json& j, const std::string& key, const std::string& field) const {
    if (!j.contains(key)) return "";
    if (!j[key].is_string()) fail(field + "." + key, "is not a string");
    return j[key].get<std::string>();
  }
  bool flag(const nlohmann::json& j, const std::string& key, const std::string& field) const {
    if (!j.contains(key)) return false;
    if (!j[key].is_boolean()) fail(field + "." + key, "is not true or false");
    return j[key].get<bool>();
  }
  const nlohmann::json& array(const nlohmann::json& j, const std::string& key, const std::string& field,
                              size_t limit) const {
    if (!j.contains(key) || !j[key].is_array()) fail(field + "." + key, "is missing or not an array");
    if (j[key].size() > limit) fail(field + "." + key, "has more than " + std::to_string(limit) + " entries");
    return j[key];
  }
  // Numbers; null (a measurement that does not exist) becomes NaN, which the chart skips.
  std::vector<double> numbers(const nlohmann::json& j, const std::string& key, const std::string& field) const {
    std::vector<double> out;
    for (const auto& v : array(j, key, field, kMaxPoints)) {
      if (!v.is_number() && !v.is_null()) fail(field + "." + key, "holds " + v.dump() + ", not a number or null");
      out.push_back(v.is_null() ? NAN : v.get<double>());
    }
    return out;
  }
  svg::Series series(const nlohmann::json& j, const std::string& field) const {
    if (!j.is_object()) fail(field, "is not an object");
    svg::Series s;
    s.label = text(j, "label", field);
    s.x = numbers(j, "x", field);
    s.y = numbers(j, "y", field);
    if (s.x.size() != s.y.size())
      fail(field, "has " + std::to_string(s.x.size()) + " x and " + std::to_string(s.y.size()) + " y values");
    return s;
  }
  svg::LineChart chart(const nlohmann::json& j, const std::string& field) const {
    if (!j.is_object()) fail(field, "is not an object");
    svg::LineChart c;
    c.title = text(j, "title", field);
    c.x_label = text(j, "x_label", field);
    c.y_label = text(j, "y_label", field);
    c.log_x = flag(j, "log_x", field);
    c.log_y = flag(j, "log_y", field);
    const auto& all = array(j, "series", field, kMaxSeries);
    for (size_t i = 0; i < all.size(); ++i) c.series.push_back(series(all[i], field + ".series[" + std::to_string(i) + "]"));
    return c;
  }
};

}  // namespace

Figures read_figures(const std::string& dir) {
  const Reader r{(fs::path(dir) / "figures.json").string()};
  const auto j = read_json_object_file(r.path, "report: ");
  Figures f;
  f.title = r.text(j, "title", "the document");
  f.caption = r.text(j, "caption", "the document");
  const auto& charts = r.array(j, "charts", "the document", kMaxCharts);
  for (size_t i = 0; i < charts.size(); ++i) f.charts.push_back(r.chart(charts[i], "charts[" + std::to_string(i) + "]"));
  return f;
}

std::string figures_section(const std::vector<std::string>& dirs) {
  std::vector<Figures> all;
  for (const auto& d : dirs) all.push_back(read_figures(d));  // every file checked before any HTML
  std::ostringstream o;
  for (size_t i = 0; i < all.size(); ++i) {
    const auto& f = all[i];
    o << "<section class=\"figures\"><h2>" << svg::escape(f.title.empty() ? dirs[i] : f.title) << "</h2>\n<p>"
      << svg::escape(f.caption) << " (<code>" << svg::escape(dirs[i]) << "/figures.json</code>)</p>\n<div class=\"grid\">";
    for (const auto& c : f.charts) o << "<figure>" << svg::line_chart(c) << "</figure>\n";
    o << "</div></section>\n";
  }
  return o.str();
}

}  // namespace localist
