#include "localist/run/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "localist/core/atomic_file.h"
#include "localist/core/version.h"
#include "localist/core/errors.h"
#include "localist/core/json_text.h"
#include "localist/core/safetensors.h"
#include "localist/model/block_units.h"

namespace fs = std::filesystem;

namespace localist {
namespace {
constexpr int kFormatVersion = 1;
}

namespace {

// Older checkpoints kept beside DIR, newest first: DIR-STEP directories.
std::vector<std::pair<int64_t, fs::path>> kept_checkpoints(const fs::path& final_dir) {
  std::vector<std::pair<int64_t, fs::path>> kept;
  std::error_code ec;
  const auto parent = final_dir.has_parent_path() ? final_dir.parent_path() : fs::path(".");
  const std::string prefix = final_dir.filename().string() + "-";
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) continue;
    const auto digits = name.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18) continue;
    kept.emplace_back(std::stoll(digits), e.path());
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return kept;
}

void write_checkpoint_files(const fs::path& dir, const CheckpointMeta& meta, Gpt& model,
                            const TensorMap* optimizer_state) {
  TensorMap weights;
  for (const auto& p : model->named_parameters()) weights[p.key()] = p.value();
  save_safetensors((dir / "model.safetensors").string(), weights,
                   {{"format", "pt"}, {"producer", "localist"}});
  if (optimizer_state) save_safetensors((dir / "optimizer.safetensors").string(), *optimizer_state);

  nlohmann::json j;
  j["format_version"] = kFormatVersion;
  j["model"] = meta.model;
  j["data"] = meta.data;
  j["train"] = meta.train;
  j["localist"] = meta.localist;
  j["recruit"] = meta.recruit;
  j["tokenizer"] = meta.tokenizer;
  j["step"] = meta.step;
  j["metrics"] = meta.metrics;
  // Batches and dropout are drawn from generators re-seeded from (seed, step, micro-step), so
  // the seed and the step are the whole RNG state: a resumed run draws what it would have.
  j["rng"] = {{"scheme", "per-step reseed from (train.seed, step, micro)"},
              {"seed", meta.train.seed}};
  j["libtorch"] = libtorch_version();
  write_text_atomically((dir / "checkpoint.json").string(), j.dump(2) + "\n");  // last: it marks the directory complete
  sync_path(dir.string());
}

}  // namespace

void save_checkpoint(const std::string& dir, const CheckpointMeta& meta, Gpt& model,
                     const TensorMap* optimizer_state) {
  const fs::path final_dir(dir), tmp_dir(dir + ".tmp"), old_dir(dir + ".old");
  std::error_code ec;
  fs::remove_all(tmp_dir, ec);  // what a killed save left
  fs::create_directories(tmp_dir, ec);
  if (ec) throw PathError("cannot create checkpoint directory '" + tmp_dir.string() + "' (" + ec.message() + ")");
  try {
    write_checkpoint_files(tmp_dir, meta, model, optimizer_state);
  } catch (const UserError& e) {  // e.g. a full disk: drop the partial copy, keep the last one
    fs::remove_all(tmp_dir, ec);
    throw PathError(std::string("checkpoint at step ") + std::to_string(meta.step) + " not saved: " + e.what() +
                    (fs::exists(final_dir / "checkpoint.json") ? "; the previous checkpoint in '" + dir + "' is intact" : ""));
  }

  // Swap into place: final -> kept (DIR-STEP) or old, tmp -> final, then prune. At every
  // moment one complete checkpoint exists under a name find_checkpoint_dir looks for.
  const int64_t keep = std::max<int64_t>(1, meta.train.keep_checkpoints);
  if (fs::exists(final_dir)) {
    fs::remove_all(old_dir, ec);  // safe: final is complete
    fs::path aside = old_dir;
    if (keep > 1) {
      try {
        aside = dir + "-" + std::to_string(read_checkpoint_meta(dir).step);
      } catch (const UserError&) {  // unreadable: not worth keeping
      }
      fs::remove_all(aside, ec);
    }
    fs::rename(final_dir, aside);
  }
  fs::rename(tmp_dir, final_dir);
  sync_path(final_dir.has_parent_path() ? final_dir.parent_path().string() : ".");
  fs::remove_all(old_dir, ec);
  const auto kept = kept_checkpoints(final_dir);
  for (size_t i = static_cast<size_t>(keep - 1); i < kept.size(); ++i) fs::remove_all(kept[i].second, ec);
}

std::string find_checkpoint_dir(const std::string& path) {
  if (!fs::exists(path)) throw PathError("checkpoint path '" + path + "' does not exist");
  std::vector<fs::path> candidates = {fs::path(path), fs::path(path) / "checkpoint"};
  // a save killed between its two renames leaves the previous checkpoint aside
  for (const auto& final_dir : {fs::path(path), fs::path(path) / "checkpoint"}) {
    candidates.push_back(final_dir.string() + ".old");
    if (final_dir.filename() == "checkpoint")  // not a run's siblings that happen to share a prefix
      for (const auto& [step, kept] : kept_checkpoints(final_dir)) candidates.push_back(kept);
  }
  for (const auto& candidate : candidates)
    if (fs::exists(candidate / "checkpoint.json")) return candidate.string();
  throw CheckpointError("'" + path + "' holds no checkpoint.json (expected a checkpoint " +
                        "directory or a run directory with checkpoint/)");
}

CheckpointMeta checkpoint_meta_from_text(const std::string& text, const std::string& source) {
  CheckpointMeta m;
  std::string error;
  const auto j = parse_json_text(text, &error);
  if (j.is_discarded()) throw CheckpointError(source + ": not valid JSON (" + error + ")");
  try {
    if (!j.is_object()) throw CheckpointError(source + ": not a JSON object");
    if (j.value("format_version", nlohmann::json()) != kFormatVersion)
      throw CheckpointError(source + ": format_version " + j.value("format_version", nlohmann::json()).dump() +
                            ", expected " + std::to_string(kFormatVersion));
    m.model = j.at("model").get<ModelConfig>();
    m.data = j.at("data").get<DataConfig>();
    m.train = j.at("train").get<TrainConfig>();
    m.localist = j.value("localist", nlohmann::json::object()).get<LocalistConfig>();
    m.recruit = j.value("recruit", nlohmann::json::object()).get<RecruitConfig>();
    m.tokenizer = j.at("tokenizer");
    if (!j.at("step").is_number_integer()) throw CheckpointError(source + ": step is not an integer");
    m.step = j.at("step").get<int64_t>();
    m.metrics = j.value("metrics", nlohmann::json());
    m.model.validate();
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(source + ": " + e.what());
  } catch (const ConfigError& e) {
    throw CheckpointError(source + ": " + e.what());
  }
  if (m.step < 0) throw CheckpointError(source + ": step " + std::to_string(m.step) + " is negative");
  return m;
}

CheckpointMeta read_checkpoint_meta(const std::string& dir) {
  const auto path = (fs::path(dir) / "checkpoint.json").string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PathError("cannot read '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  CheckpointMeta m = checkpoint_meta_from_text(text.str(), path);
  // The config decides what is allocated: check it against the weights file's header first.
  const auto weights = (fs::path(dir) / "model.safetensors").string();
  const int64_t expected = parameter_count(m.model), held = read_safetensors_index(weights).elements();
  if (held != expected)
    throw CheckpointError(weights + " holds " + std::to_string(held) + " numbers, but the model in " +
                          path + " has " + std::to_string(expected) +
                          " parameters: the two files do not belong together");
  return m;
}

void load_weights(const std::string& dir, Gpt& model) {
  const auto path = (fs::path(dir) / "model.safetensors").string();
  copy_weights(load_safetensors(path), model, path);
}

void copy_weights(const TensorMap& tensors, Gpt& model, const std::string& source) {
  torch::NoGradGuard no_grad;
  auto params = model->named_parameters();
  for (const auto& p : params) {
    auto it = tensors.find(p.key());
    if (it == tensors.end()) throw CheckpointError(source + ": missing tensor '" + p.key() + "'");
    if (it->second.sizes() != p.value().sizes())
      throw CheckpointError(source + ": tensor '" + p.key() + "' has shape " +
                            c10::str(it->second.sizes()) + ", the model expects " +
                            c10::str(p.value().sizes()));
    if (!torch::isfinite(it->second).all().item<bool>())
      throw CheckpointError(source + ": tensor '" + p.key() + "' holds NaN or infinite values");
    p.value().copy_(it->second);
  }
  if (tensors.size() != params.size())
    throw CheckpointError(source + ": holds " + std::to_string(tensors.size()) +
                          " tensors, the model has " + std::to_string(params.size()));
}

TensorMap load_optimizer_state(const std::string& dir) {
  return load_safetensors((fs::path(dir) / "optimizer.safetensors").string());
}

LoadedModel load_model(const std::string& path, const torch::Device& device) {
  const auto dir = find_checkpoint_dir(path);
  LoadedModel lm;
  lm.meta = read_checkpoint_meta(dir);
  lm.tokenizer = data::tokenizer_from_json(lm.meta.tokenizer);
  lm.model = Gpt(lm.meta.model);
  load_weights(dir, lm.model);
  if (lm.meta.model.block_units > 0)  // the table is the trained blocks', rebuilt from the config
    wire_block_units(lm.model, BlockMap::from_config(lm.meta.localist, *lm.tokenizer));
  lm.model->to(device);
  lm.model->eval();
  return lm;
}

}  // namespace localist
