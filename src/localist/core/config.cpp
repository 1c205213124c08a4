#include "localist/core/config.h"

#include <cmath>
#include <regex>
#include <limits>
#include <sstream>
#include <type_traits>

#include "localist/core/config_fields.h"
#include "localist/core/errors.h"

namespace localist {
namespace {

std::ostream& operator<<(std::ostream& o, const std::vector<std::string>& v) {
  for (size_t i = 0; i < v.size(); ++i) o << (i ? " " : "") << "'" << v[i].substr(0, 200) << "'";
  return o;
}

template <typename T>
void require(bool ok, const char* field, const T& value, const char* expected) {
  if (ok) return;
  std::ostringstream s;
  s << "config: " << setting(field) << " = " << value << " is impossible; expected " << expected;
  throw ConfigError(s.str());
}

// Every field's own check (config_fields.h); the checks that relate fields follow in validate().
template <typename Config>
void check_fields(const Config& c) {
  ConfigFields<Config>::each([&](auto member, const FieldInfo& f, const auto& check) {
    require(check.ok(c.*member), (std::string(ConfigFields<Config>::prefix) + f.key).c_str(), c.*member,
            check.expected);
  });
}

}  // namespace

std::optional<std::pair<double, double>> parse_lambda_range(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  try {
    size_t used_lo = 0, used_hi = 0;
    const std::string lo_text = text.substr(0, colon), hi_text = text.substr(colon + 1);
    const double lo = std::stod(lo_text, &used_lo), hi = std::stod(hi_text, &used_hi);
    if (used_lo != lo_text.size() || used_hi != hi_text.size()) return std::nullopt;
    if (!(lo >= 0 && lo <= hi && hi <= 1)) return std::nullopt;  // NaN fails here too
    return std::make_pair(lo, hi);
  } catch (const std::exception&) {  // stod: no number, or out of range
    return std::nullopt;
  }
}

void ModelConfig::validate() const {
  check_fields(*this);
  require(head_size > 0 || n_embd % n_head == 0, "n_embd", n_embd, "a multiple of n_head");
  require(block_units <= n_embd, "block_units", block_units, "at most n_embd (one unit per group)");
}

void DataConfig::validate() const { check_fields(*this); }

void LocalistConfig::validate() const { check_fields(*this); }

void TrainConfig::validate() const {
  check_fields(*this);
  require(min_lr >= 0 && min_lr <= lr, "min_lr", min_lr, "in [0, lr]");
  if (!train_only.empty()) {
    try {
      std::regex check(train_only);
    } catch (const std::regex_error& e) {
      throw ConfigError("train_only = '" + train_only + "' is not a valid regular expression (" + e.what() + ")");
    }
  }
}

void RecruitConfig::validate() const {
  check_fields(*this);  // a bad value is an error even without --recruit: it was typed for a reason
}

namespace {
// A stored config field of the wrong type (a hand-edited or hostile checkpoint): name it.
template <typename T>
void read_field(const nlohmann::json& j, const char* name, T& out) {
  // an integer field must hold a JSON integer: converting 1e37 to int64 is undefined (found by fuzzing)
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
    if (!j.at(name).is_number_integer())
      throw ConfigError(std::string("config: ") + name + " = " + j.at(name).dump().substr(0, 80) +
                        " is not an integer");
  try {
    j.at(name).get_to(out);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(std::string("config: ") + name + " = " + j.at(name).dump().substr(0, 80) +
                      " has the wrong type (" + e.what() + ")");
  }
}

template <typename Config>
void fields_to_json(nlohmann::json& j, const Config& c) {
  ConfigFields<Config>::each([&](auto member, const FieldInfo& f, const auto&) {
    const auto& v = c.*member;
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, double>)
      if (f.infinite_as_string && std::isinf(v)) return void(j[f.key] = "inf");
    j[f.key] = v;
  });
}

// Fields missing from the JSON keep their defaults (older checkpoints).
template <typename Config>
void fields_from_json(const nlohmann::json& j, Config& c) {
  ConfigFields<Config>::each([&](auto member, const FieldInfo& f, const auto&) {
    if (!j.contains(f.key)) return;
    auto& v = c.*member;
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, double>)
      if (f.infinite_as_string && j.at(f.key).is_string()) {
        if (j.at(f.key) != "inf")
          throw ConfigError(std::string("config: ") + f.key + " = " + j.at(f.key).dump().substr(0, 80) +
                            " is not a number or \"inf\"");
        return void(v = std::numeric_limits<double>::infinity());
      }
    read_field(j, f.key, v);
  });
}

}  // namespace

void to_json(nlohmann::json& j, const ModelConfig& c) { fields_to_json(j, c); }
void from_json(const nlohmann::json& j, ModelConfig& c) {
  fields_from_json(j, c);
  // checkpoints written before 0.4 call the context length by nanoGPT's name
  if (!j.contains("context_length") && j.contains("block_size")) read_field(j, "block_size", c.context_length);
}
void to_json(nlohmann::json& j, const DataConfig& c) { fields_to_json(j, c); }
void from_json(const nlohmann::json& j, DataConfig& c) { fields_from_json(j, c); }
void to_json(nlohmann::json& j, const LocalistConfig& c) { fields_to_json(j, c); }
void from_json(const nlohmann::json& j, LocalistConfig& c) { fields_from_json(j, c); }
void to_json(nlohmann::json& j, const TrainConfig& c) { fields_to_json(j, c); }
void from_json(const nlohmann::json& j, TrainConfig& c) { fields_from_json(j, c); }
void to_json(nlohmann::json& j, const RecruitConfig& c) { fields_to_json(j, c); }
void from_json(const nlohmann::json& j, RecruitConfig& c) { fields_from_json(j, c); }

void require_causal(const ModelConfig& model, const std::string& command) {
  if (!model.causal)
    throw ConfigError(command + ": the checkpoint was trained without the causal mask (bidirectional, "
                      "leaking); its attention has no causal reading to " +
                      (command == "explain" ? "explain" : "bound"));
}

}  // namespace localist
