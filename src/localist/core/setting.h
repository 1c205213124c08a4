#pragma once
// What an inference face may move on a checkpoint's localist settings without retraining: the
// dial (lambda, kappa) and the rules. One path for all of them: the command line's inference
// commands, the Python API, `serve` and hierarchy eval each read their own spelling into a
// SettingChange and call apply_setting, which validates through the config field table
// (core/config_fields.h), so a setting means the same and fails the same through every face.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "localist/core/config.h"

namespace localist {

struct SettingChange {
  std::optional<double> lambda, kappa;  // none: the checkpoint's
  std::string rules_file;               // a rules file, read anew ("" = not given)
  nlohmann::json rules;                 // inline rules (null = not given); wins over rules_file
};

// The stored settings with the change applied; ConfigError naming the setting ("lambda = 2 ...").
LocalistConfig apply_setting(LocalistConfig stored, const SettingChange& change);

// kappa as JSON writes it (JSON has no infinity): a number, or "inf" for the hard mask; ConfigError
// otherwise. The value's range is apply_setting's to check.
double kappa_from_json(const nlohmann::json& v);
nlohmann::json kappa_to_json(double kappa);  // "inf" for the hard mask

}  // namespace localist
