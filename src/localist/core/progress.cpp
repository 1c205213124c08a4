#include "localist/core/progress.h"

#include <cmath>
#include <cstdio>
#include <fstream>

#include "localist/core/atomic_file.h"
#include "localist/core/errors.h"

namespace localist {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  char buf[32];
  const long s = std::lround(seconds);
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

std::string format_count(double n) {
  std::string digits = std::to_string(std::llround(n));
  std::string out;
  const int start = digits[0] == '-' ? 1 : 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > static_cast<size_t>(start) && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::vector<nlohmann::json> MetricsLog::read_until(int64_t step) const {
  std::vector<nlohmann::json> out;
  std::ifstream in(path_);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;  // a torn last line of a killed run
    const auto it = j.find("step");
    if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() <= step) out.push_back(j);
  }
  return out;
}

void MetricsLog::truncate_after(int64_t step) const {
  if (path_.empty() || !std::ifstream(path_)) return;
  std::string kept;
  for (const auto& j : read_until(step)) kept += j.dump() + "\n";
  write_text_atomically(path_, kept);
}

void MetricsLog::append(const nlohmann::json& record) const {
  if (path_.empty()) return;
  std::ofstream out(path_, std::ios::app);
  if (!out) throw PathError("cannot append to metrics log '" + path_ + "'");
  out << record.dump() << '\n';
  out.flush();
}

}  // namespace localist
