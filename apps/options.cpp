// The config fields on the command line (their descriptions: core/config_fields.h), shared by
// train, eval, demo and the inference commands; the flags given override a checkpoint's.
#include <algorithm>
#include <set>

#include "commands.h"
#include "localist/core/config_fields.h"
#include "localist/core/errors.h"
#include "localist/core/setting.h"

namespace localist::app {

namespace {

// One command-line option per described field (core/config_fields.h), in a group named `group`.
template <typename Config>
CLI::Option_group* add_fields(CLI::App& cmd, const char* group, Config& c) {
  auto* g = cmd.add_option_group(group);
  ConfigFields<Config>::each([&](auto member, const FieldInfo& f, const auto&) {
    if (!f.flag) return;
    auto& value = c.*member;
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<T, bool>) {
      if (f.kind == FlagKind::Flag) return void(g->add_flag(f.flag, value, f.help));
      if (f.kind == FlagKind::InvertedFlag) return void(g->add_flag(std::string(f.flag) + "{false}", value, f.help));
    }
    if constexpr (!std::is_same_v<T, nlohmann::json>) g->add_option(f.flag, value, f.help)->capture_default_str();
  });
  return g;
}

// The key's flag among one config's fields (its first spelling), or "" where it has none.
template <typename Config>
std::string field_flag(const std::string& key) {
  std::string flag;
  ConfigFields<Config>::each([&](auto, const FieldInfo& f, const auto&) {
    if (f.flag && key == f.key) flag = std::string(f.flag).substr(0, std::string(f.flag).find(','));
  });
  return flag;
}

}  // namespace

std::string cli_flag(const std::string& key) {
  if (key.rfind("recruit.", 0) == 0) {  // a recruitment field, as its config errors name it
    const auto flag = field_flag<RecruitConfig>(key.substr(8));
    if (!flag.empty()) return flag;
  }
  for (const auto& flag : {field_flag<ModelConfig>(key), field_flag<DataConfig>(key), field_flag<TrainConfig>(key),
                           field_flag<LocalistConfig>(key), field_flag<RecruitConfig>(key)})
    if (!flag.empty()) return flag;
  std::string flag = "--" + key;  // a command's own option: its key with dashes
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

void add_model_options(CLI::App& cmd, ModelConfig& m) { add_fields(cmd, "model", m); }
void add_data_options(CLI::App& cmd, DataConfig& d) { add_fields(cmd, "data", d); }
void add_train_options(CLI::App& cmd, TrainConfig& t) { add_fields(cmd, "training", t); }
void add_localist_options(CLI::App& cmd, LocalistConfig& l) { add_fields(cmd, "localist", l); }
void add_recruit_options(CLI::App& cmd, RecruitConfig& r) { add_fields(cmd, "recruitment", r); }

}  // namespace localist::app

namespace localist::app {

LocalistConfig localist_overrides(const LocalistConfig& stored, const CLI::App& cmd,
                                  const LocalistConfig& given) {
  LocalistConfig c = stored;
  if (cmd.count("--blocks") && given.blocks != c.blocks) {
    // the stored classes and targets describe the old block map; anchor tokens still apply
    c.blocks = given.blocks;
    if (c.rules.is_object())
      for (const char* field : {"blocks", "targets", "target_offset"}) c.rules.erase(field);
  }
  // every other flag given wins; the penalties do not act at inference, but eval reports the
  // weight-group pattern and threshold asks what a given alpha would guarantee on these weights
  static const std::set<std::string> apart = {"blocks", "lambda", "kappa", "rules_file"};  // below, above
  ConfigFields<LocalistConfig>::each([&](auto member, const FieldInfo& f, const auto&) {
    if (f.flag && !apart.count(f.key) && cmd.count(f.flag)) c.*member = given.*member;
  });
  // the dial and the rules as every face moves them (core/setting.h); the rules file is read anew
  SettingChange change;
  if (cmd.count("--lambda")) change.lambda = given.lambda;
  if (cmd.count("--kappa")) change.kappa = given.kappa;
  if (cmd.count("--rules")) change.rules_file = given.rules_file;
  return apply_setting(c, change);
}

std::pair<std::string, std::string> name_value(const std::string& s, const std::string& option) {
  const auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
    throw ConfigError(option + " '" + s + "' must be NAME=PATH");
  return {s.substr(0, eq), s.substr(eq + 1)};
}

}  // namespace localist::app
