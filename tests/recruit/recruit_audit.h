#pragma once
// A recruitment run's audit log (RUN/recruit.jsonl) as the recruitment tests read it.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "localist/core/progress.h"

namespace localist::testing {

// Every decision record of the run, in order.
inline std::vector<nlohmann::json> audit(const std::string& run) {
  return MetricsLog(run + "/recruit.jsonl").read_until(1 << 30);
}

// How many decisions accepted a candidate.
inline int accepted(const std::string& run) {
  int n = 0;
  for (const auto& d : audit(run)) n += d["decision"] == "accept";
  return n;
}

}  // namespace localist::testing
