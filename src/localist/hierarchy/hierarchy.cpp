#include "localist/hierarchy/hierarchy.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <regex>
#include <set>

#include "localist/core/atomic_file.h"
#include "localist/core/errors.h"
#include "localist/core/json_text.h"
#include "localist/model/dial.h"
#include "localist/model/log_probs.h"

namespace localist {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const char* kManifest = "hierarchy.json";

void check_name(const std::string& name, const std::string& where) {
  static const std::regex ok("[A-Za-z0-9_-]+");
  if (!std::regex_match(name, ok))
    throw ConfigError(where + ": member name '" + name + "' must be letters, digits, '_' or '-'");
}

// Copies what inference needs of a checkpoint into `to`.
void copy_member(const std::string& checkpoint, const fs::path& to) {
  const fs::path from = find_checkpoint_dir(checkpoint);
  fs::create_directories(to);
  for (const char* f : {"model.safetensors", "checkpoint.json"})
    fs::copy_file(from / f, to / f, fs::copy_options::overwrite_existing);
  // the run's block recruitment audit log travels with it (LLM-level recruitment reads it)
  const fs::path log = from.parent_path() / "recruit.jsonl";
  if (from.filename() == "checkpoint" && fs::exists(log))
    fs::copy_file(log, to / "recruit.jsonl", fs::copy_options::overwrite_existing);
}

void check_tokenizer(const json& base, const std::string& checkpoint, const std::string& name) {
  const auto meta = read_checkpoint_meta(find_checkpoint_dir(checkpoint));
  if (meta.tokenizer != base)
    throw ConfigError("specialist '" + name + "' (" + checkpoint + ") does not share the base model's "
                      "tokenizer; train it with " + setting("init_from") + " the base run");
}

}  // namespace

void check_routing(const std::string& routing, int64_t prefix, const std::string& where) {
  if (routing != "hard" && routing != "soft")
    throw ConfigError(where + ": routing '" + routing + "' is unknown; expected hard or soft");
  if (prefix < 0) throw ConfigError(where + ": prefix " + std::to_string(prefix) + " must be >= 0");
}

json Hierarchy::to_json() const {
  json m = json::array();
  for (const auto& x : members) m.push_back({{"name", x.name}, {"domain", x.domain}, {"path", x.path}});
  return {{"format", "localist-hierarchy"}, {"version", 1}, {"members", m}, {"routing", routing}, {"prefix", prefix}};
}

Hierarchy Hierarchy::from_json(const json& j, const std::string& source) {
  Hierarchy h;
  try {
    if (j.value("format", "") != "localist-hierarchy" || j.value("version", 0) != 1)
      throw CheckpointError(source + ": not a localist hierarchy manifest (format/version)");
    std::set<std::string> names;
    for (const auto& m : j.at("members")) {
      HierarchyMember x{m.at("name").get<std::string>(), m.at("domain").get<std::string>(),
                        m.at("path").get<std::string>()};
      check_name(x.name, source);
      if (!names.insert(x.name).second) throw CheckpointError(source + ": member '" + x.name + "' appears twice");
      if (fs::path(x.path).is_absolute() || x.path.find("..") != std::string::npos)
        throw CheckpointError(source + ": member '" + x.name + "' path '" + x.path + "' must stay inside the hierarchy");
      h.members.push_back(x);
    }
    if (h.members.empty()) throw CheckpointError(source + ": no members (the base model is required)");
    h.routing = j.value("routing", "hard");
    h.prefix = j.value("prefix", int64_t{32});
    check_routing(h.routing, h.prefix, source);
  } catch (const json::exception& e) {
    throw CheckpointError(source + ": " + e.what());
  } catch (const ConfigError& e) {
    throw CheckpointError(e.what());
  }
  return h;
}

int64_t Hierarchy::member_for_domain(const std::string& domain) const {
  for (size_t k = 1; k < members.size(); ++k)
    if (members[k].domain == domain) return static_cast<int64_t>(k);
  return 0;
}

void create_hierarchy(const std::string& dir, const std::string& base,
                      const std::vector<std::pair<std::string, std::string>>& specialists,
                      const std::string& routing, int64_t prefix) {
  check_routing(routing, prefix, "hierarchy");
  if (fs::exists(dir)) throw PathError("'" + dir + "' exists; a hierarchy is created in a new directory");
  const json base_tokenizer = read_checkpoint_meta(find_checkpoint_dir(base)).tokenizer;
  Hierarchy h;
  h.routing = routing;
  h.prefix = prefix;
  h.members.push_back({"base", "", "members/base"});
  std::set<std::string> names{"base"};
  for (const auto& [name, ckpt] : specialists) {
    check_name(name, "hierarchy");
    if (!names.insert(name).second) throw ConfigError("hierarchy: member '" + name + "' appears twice");
    check_tokenizer(base_tokenizer, ckpt, name);
    h.members.push_back({name, name, "members/" + name});
  }
  const fs::path tmp = dir + ".tmp";
  fs::remove_all(tmp);
  copy_member(base, tmp / "members/base");
  for (const auto& [name, ckpt] : specialists) copy_member(ckpt, tmp / ("members/" + name));
  write_text_atomically((tmp / kManifest).string(), h.to_json().dump(2) + "\n");
  fs::rename(tmp, dir);
}

void add_to_hierarchy(const std::string& dir, const std::string& name, const std::string& checkpoint) {
  Hierarchy h = read_hierarchy(dir);
  check_name(name, "hierarchy");
  for (const auto& m : h.members)
    if (m.name == name) throw ConfigError("hierarchy '" + dir + "' already has a member '" + name + "'");
  const auto base = read_checkpoint_meta((fs::path(dir) / h.members[0].path).string());
  check_tokenizer(base.tokenizer, checkpoint, name);
  const std::string rel = "members/" + name;
  const fs::path tmp = fs::path(dir) / (rel + ".tmp");
  fs::remove_all(tmp);
  copy_member(checkpoint, tmp);
  fs::remove_all(fs::path(dir) / rel);
  fs::rename(tmp, fs::path(dir) / rel);
  h.members.push_back({name, name, rel});
  write_text_atomically((fs::path(dir) / kManifest).string(), h.to_json().dump(2) + "\n");  // the commit point
}

Hierarchy read_hierarchy(const std::string& dir) {
  const fs::path p = fs::path(dir) / kManifest;
  std::ifstream in(p);
  if (!in) throw PathError("'" + dir + "' is not a hierarchy (no " + kManifest + ")");
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  const json j = parse_json_text(text.str(), &error);
  if (j.is_discarded()) throw CheckpointError(p.string() + ": not valid JSON (" + error + ")");
  return Hierarchy::from_json(j, p.string());
}

LoadedHierarchy load_hierarchy(const std::string& dir, const torch::Device& device,
                               const std::function<bool(size_t)>& hold) {
  LoadedHierarchy h;
  h.manifest = read_hierarchy(dir);
  for (const auto& m : h.manifest.members) {
    const auto path = (fs::path(dir) / m.path).string();
    if (!hold || hold(h.models.size())) {
      h.models.push_back(load_model(path, device));
    } else {
      LoadedModel config_only;
      config_only.meta = read_checkpoint_meta(find_checkpoint_dir(path));
      config_only.tokenizer = data::tokenizer_from_json(config_only.meta.tokenizer);
      h.models.push_back(std::move(config_only));
    }
    if (h.models.back().meta.tokenizer != h.models.front().meta.tokenizer)
      throw CheckpointError("hierarchy '" + dir + "': member '" + m.name + "' does not share the base's tokenizer");
  }
  return h;
}

torch::Tensor segment_nll(LoadedModel& lm, const BlockMap& blocks, const std::vector<int32_t>& tokens) {
  return segment_nll(lm.model, blocks, Dial::from_config(lm.meta.localist), tokens);  // its own dial, as trained
}

torch::Tensor segment_nll(Gpt& model, const BlockMap& blocks, const Dial& dial, const std::vector<int32_t>& tokens) {
  const auto lp = log_probs(model, blocks, dial, tokens);  // (n-1, V)
  const auto y = torch::tensor(std::vector<int64_t>(tokens.begin() + 1, tokens.end()), torch::kLong);
  return -lp.gather(1, y.unsqueeze(1)).squeeze(1);
}

}  // namespace localist
