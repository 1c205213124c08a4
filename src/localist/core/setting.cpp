#include "localist/core/setting.h"

#include <cmath>
#include <limits>

#include "localist/core/errors.h"

namespace localist {

LocalistConfig apply_setting(LocalistConfig c, const SettingChange& change) {
  if (change.lambda) c.lambda = *change.lambda;
  if (change.kappa) c.kappa = *change.kappa;
  if (!change.rules_file.empty()) c.rules = nullptr, c.rules_file = change.rules_file;
  if (!change.rules.is_null()) c.rules = change.rules, c.rules_file.clear();
  c.validate();
  return c;
}

double kappa_from_json(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string() && v.get<std::string>() == "inf") return std::numeric_limits<double>::infinity();
  throw ConfigError("kappa must be a number of nats > 0 or \"inf\" (the hard mask)");
}

nlohmann::json kappa_to_json(double kappa) {
  return std::isinf(kappa) ? nlohmann::json("inf") : nlohmann::json(kappa);
}

}  // namespace localist
