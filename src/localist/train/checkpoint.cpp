#include "localist/train/checkpoint.h"

#include <filesystem>
#include <fstream>

#include "localist/core/atomic_file.h"
#include "localist/core/compat.h"
#include "localist/core/errors.h"
#include "localist/core/safetensors.h"

namespace fs = std::filesystem;

namespace localist {
namespace {
constexpr int kFormatVersion = 1;
}

void save_checkpoint(const std::string& dir, const CheckpointMeta& meta, Gpt& model,
                     const AdamW* optimizer) {
  const fs::path final_dir(dir), tmp_dir(dir + ".tmp"), old_dir(dir + ".old");
  std::error_code ec;
  fs::remove_all(tmp_dir, ec);
  fs::create_directories(tmp_dir, ec);
  if (ec) throw PathError("cannot create checkpoint directory '" + tmp_dir.string() + "'");

  TensorMap weights;
  for (const auto& p : model->named_parameters()) weights[p.key()] = p.value();
  save_safetensors((tmp_dir / "model.safetensors").string(), weights,
                   {{"format", "pt"}, {"producer", "localist"}});
  if (optimizer) save_safetensors((tmp_dir / "optimizer.safetensors").string(), optimizer->state());

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
  j["libtorch"] = compat::version();
  write_text_atomically((tmp_dir / "checkpoint.json").string(), j.dump(2) + "\n");

  // Swap into place: final -> old, tmp -> final, drop old.
  fs::remove_all(old_dir, ec);
  if (fs::exists(final_dir)) fs::rename(final_dir, old_dir);
  fs::rename(tmp_dir, final_dir);
  fs::remove_all(old_dir, ec);
}

std::string find_checkpoint_dir(const std::string& path) {
  if (!fs::exists(path)) throw PathError("checkpoint path '" + path + "' does not exist");
  for (const auto& candidate :
       {fs::path(path), fs::path(path) / "checkpoint", fs::path(path + ".old"),
        fs::path(path) / "checkpoint.old"})
    if (fs::exists(candidate / "checkpoint.json")) return candidate.string();
  throw CheckpointError("'" + path + "' holds no checkpoint.json (expected a checkpoint " +
                        "directory or a run directory with checkpoint/)");
}

CheckpointMeta read_checkpoint_meta(const std::string& dir) {
  const auto path = (fs::path(dir) / "checkpoint.json").string();
  std::ifstream in(path);
  if (!in) throw PathError("cannot read '" + path + "'");
  CheckpointMeta m;
  try {
    auto j = nlohmann::json::parse(in);
    if (j.value("format_version", 0) != kFormatVersion)
      throw CheckpointError(path + ": format_version " + j.value("format_version", nlohmann::json()).dump() +
                            ", expected " + std::to_string(kFormatVersion));
    m.model = j.at("model").get<ModelConfig>();
    m.data = j.at("data").get<DataConfig>();
    m.train = j.at("train").get<TrainConfig>();
    m.localist = j.value("localist", nlohmann::json::object()).get<LocalistConfig>();
    m.recruit = j.value("recruit", nlohmann::json::object()).get<RecruitConfig>();
    m.tokenizer = j.at("tokenizer");
    m.step = j.at("step").get<int64_t>();
    m.metrics = j.value("metrics", nlohmann::json());
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(path + ": " + e.what());
  }
  m.model.validate();
  return m;
}

void load_weights(const std::string& dir, Gpt& model) {
  const auto path = (fs::path(dir) / "model.safetensors").string();
  auto tensors = load_safetensors(path);
  torch::NoGradGuard no_grad;
  auto params = model->named_parameters();
  for (const auto& p : params) {
    auto it = tensors.find(p.key());
    if (it == tensors.end()) throw CheckpointError(path + ": missing tensor '" + p.key() + "'");
    if (it->second.sizes() != p.value().sizes())
      throw CheckpointError(path + ": tensor '" + p.key() + "' has shape " +
                            c10::str(it->second.sizes()) + ", the model expects " +
                            c10::str(p.value().sizes()));
    if (!torch::isfinite(it->second).all().item<bool>())
      throw CheckpointError(path + ": tensor '" + p.key() + "' holds NaN or infinite values");
    p.value().copy_(it->second);
  }
  if (tensors.size() != params.size())
    throw CheckpointError(path + ": holds " + std::to_string(tensors.size()) +
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
  lm.model->to(device);
  lm.model->eval();
  return lm;
}

}  // namespace localist
