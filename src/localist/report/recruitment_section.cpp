#include "localist/report/recruitment_section.h"

#include <filesystem>
#include <limits>
#include <sstream>

#include "localist/core/json_text.h"
#include "localist/core/progress.h"
#include "localist/report/svg.h"

namespace localist {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

svg::Series points(const std::string& label) {
  svg::Series s{label, {}, {}};
  s.lines = false;
  return s;
}

}  // namespace

std::string recruitment_section(const std::string& run_dir) {
  const auto path = (fs::path(run_dir) / "recruit.jsonl").string();
  if (!fs::exists(path)) return "";
  svg::Series blocks{"blocks after the decision", {}, {}};
  svg::Series accepted = points("accepted: Delta L_total"), rejected = points("rejected: Delta L_total");
  svg::Series lo = points("Delta L_model + 95 % interval of Delta L_data (- Delta L_pointer where used): low");
  svg::Series hi = points("... high");
  svg::Series theta{"- threshold (theta per block added)", {}, {}};
  theta.markers = false;
  int64_t n = 0;
  for (const auto& r : MetricsLog(path).read_until(std::numeric_limits<int64_t>::max())) {
    const double step = number_or_nan(r, "step");
    const double after = r.contains("blocks_after") ? number_or_nan(r, "blocks_after") : number_or_nan(r, "blocks_before");
    blocks.x.push_back(step), blocks.y.push_back(after);
    if (!r.contains("terms") || !r["terms"].is_object()) continue;
    ++n;
    const auto& t = r["terms"];
    auto& side = r.value("decision", "") == "accept" ? accepted : rejected;
    side.x.push_back(step), side.y.push_back(number_or_nan(t, "delta_L_total"));
    theta.x.push_back(step), theta.y.push_back(-number_or_nan(t, t.contains("threshold") ? "threshold" : "theta"));
    // the interval the decision used: the joint one where the pointer's code was paid
    const char* which = r.contains("delta_L_data_minus_pointer_interval") ? "delta_L_data_minus_pointer_interval"
                                                                          : "delta_L_data_interval";
    if (r.contains(which) && r[which].is_object()) {
      const auto& ci = r[which];
      lo.x.push_back(step), lo.y.push_back(number_or_nan(t, "delta_L_model") + number_or_nan(ci, "lo"));
      hi.x.push_back(step), hi.y.push_back(number_or_nan(t, "delta_L_model") + number_or_nan(ci, "hi"));
    }
  }
  svg::LineChart count;
  count.title = "Blocks over training: " + fs::path(run_dir).filename().string();
  count.x_label = "optimizer step";
  count.y_label = "blocks";
  count.series = {blocks};
  svg::LineChart terms;
  terms.title = "Each candidate's Delta L_total (nats per token)";
  terms.x_label = "optimizer step";
  terms.y_label = "Delta L_total";
  terms.series = {accepted, rejected, lo, hi, theta};
  std::ostringstream o;
  o << "<h3>Recruitment</h3>\n<div class=\"grid\"><figure>" << svg::line_chart(count) << "</figure><figure>"
    << svg::line_chart(terms) << "<figcaption>From " << svg::escape(path) << ": " << n
    << " scored candidates; accept iff Delta L_total &lt; -threshold and (except under --recruit-criterion seed) "
       "the interval's upper end &lt; 0.</figcaption></figure></div>\n";
  return o.str();
}

}  // namespace localist
