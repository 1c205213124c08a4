#include "localist/hf/import_hf.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "localist/core/errors.h"
#include "localist/core/json_text.h"
#include "localist/core/safetensors.h"
#include "localist/data/byte_bpe_tokenizer.h"
#include "localist/data/corpus.h"
#include "localist/hf/gpt2_names.h"
#include "localist/model/gpt.h"
#include "localist/run/checkpoint.h"

namespace fs = std::filesystem;

namespace localist::hf {
namespace {

int64_t positive_int(const nlohmann::json& c, const char* key, const std::string& source, int64_t limit) {
  if (!c.contains(key) || !c[key].is_number_integer() || c[key].get<int64_t>() < 1 || c[key].get<int64_t>() > limit)
    throw ConfigError(source + ": " + key + " = " + (c.contains(key) ? c[key].dump() : "missing") +
                      "; expected an integer in [1, " + std::to_string(limit) + "]");
  return c[key].get<int64_t>();
}

// The weight files: model.safetensors, or the shards its index names. A pickle is refused.
std::vector<std::string> weight_files(const std::string& dir) {
  const auto single = fs::path(dir) / "model.safetensors";
  const auto index = fs::path(dir) / "model.safetensors.index.json";
  if (fs::exists(single)) return {single.string()};
  if (fs::exists(index)) {
    std::set<std::string> files;
    const auto j = read_json_object_file(index.string());
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      throw CheckpointError(index.string() + ": no weight_map object");
    for (const auto& [name, file] : j["weight_map"].items()) {
      if (!file.is_string() || file.get<std::string>().find('/') != std::string::npos)
        throw CheckpointError(index.string() + ": weight_map['" + name + "'] is not a file name in the directory");
      files.insert((fs::path(dir) / file.get<std::string>()).string());
    }
    return {files.begin(), files.end()};
  }
  for (const char* pickle : {"pytorch_model.bin", "tf_model.h5", "flax_model.msgpack"})
    if (fs::exists(fs::path(dir) / pickle))
      throw CheckpointError((fs::path(dir) / pickle).string() + ": weights stored as a Python pickle (or another "
                            "framework's format) are refused: loading a pickle can run code. Save them as "
                            "safetensors in Python (model.save_pretrained(dir, safe_serialization=True))");
  throw PathError(dir + ": no model.safetensors (nor model.safetensors.index.json)");
}

// Where a tensor lies: its file, the file's data section, its entry (dtype, shape, byte range).
struct Located {
  std::string file;
  uint64_t data_start = 0;
  SafetensorsEntry entry;
};

// Hugging Face name -> where it lies, "transformer." prefixes made uniform, buffers dropped.
std::map<std::string, Located> index_weights(const std::vector<std::string>& files) {
  std::map<std::string, Located> out;
  for (const auto& f : files) {
    const auto index = read_safetensors_index(f);  // validated: ranges inside the file
    for (const auto& e : index.tensors)
      if (!is_hf_buffer(e.name)) out[with_transformer_prefix(e.name)] = {f, index.data_start, e};
  }
  return out;
}

// One tensor read on its own, so that the import holds the model and one tensor at a time.
torch::Tensor read_tensor(const Located& at) {
  auto t = torch::empty(at.entry.shape, torch::TensorOptions().dtype(at.entry.dtype));
  std::ifstream in(at.file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(at.data_start + at.entry.begin));
  const auto n = static_cast<std::streamsize>(at.entry.end - at.entry.begin);
  if (n != static_cast<std::streamsize>(t.nbytes()) || !in.read(static_cast<char*>(t.data_ptr()), n))
    throw CheckpointError(at.file + ": reading tensor '" + at.entry.name + "' failed (file changed while reading?)");
  return t;
}

// Every parameter our model needs, present with the right shape, and nothing else: checked on
// the headers alone, before a byte of weights is read.
void check_against_headers(Gpt& model, const std::map<std::string, Located>& index,
                           const std::string& dir) {
  std::set<std::string> used;
  for (const auto& p : model->named_parameters()) {
    const auto name = hf_name(p.key());
    const auto it = index.find(name);
    if (it == index.end()) throw CheckpointError(dir + ": the weights lack '" + name + "' (not a GPT-2 checkpoint, or config.json disagrees with them)");
    auto shape = p.value().sizes().vec();
    if (hf_transposed(p.key())) std::swap(shape[0], shape[1]);
    if (it->second.entry.shape != shape)
      throw CheckpointError(it->second.file + ": '" + name + "' has shape " + c10::str(it->second.entry.shape) +
                            ", config.json implies " + c10::str(shape));
    used.insert(name);
  }
  for (const auto& [name, where] : index)
    if (!used.count(name) && name != "lm_head.weight")  // a tied head may be stored anyway
      throw CheckpointError(where.file + ": tensor '" + name + "' is not part of a GPT-2 model (another architecture?)");
}

}  // namespace

ModelConfig gpt2_model_config(const nlohmann::json& c, const std::string& source) {
  const std::string type = c.value("model_type", "");
  if (type != "gpt2")
    throw ConfigError(source + ": model_type = '" + type + "': import-hf reads GPT-2 checkpoints (model_type gpt2) only");
  ModelConfig m;
  m.vocab_size = positive_int(c, "vocab_size", source, INT32_MAX);
  m.n_layer = positive_int(c, "n_layer", source, 1024);
  m.n_head = positive_int(c, "n_head", source, 1024);
  m.n_embd = positive_int(c, "n_embd", source, 65536);
  m.context_length = positive_int(c, "n_positions", source, 1 << 20);
  m.tie_weights = c.value("tie_word_embeddings", true);
  m.dropout = c.value("resid_pdrop", 0.1);
  const std::string act = c.value("activation_function", "gelu_new");
  if (act == "gelu_new" || act == "gelu_pytorch_tanh") m.activation = "gelu_tanh";
  else if (act == "gelu") m.activation = "gelu";
  else throw ConfigError(source + ": activation_function = '" + act + "' is not supported (gelu_new, gelu_pytorch_tanh or gelu)");
  const auto unsupported = [&](const char* key, const std::string& why) {
    throw ConfigError(source + ": " + key + " = " + c[key].dump() + " is not supported: " + why);
  };
  if (c.contains("n_inner") && !c["n_inner"].is_null() && c["n_inner"] != 4 * m.n_embd)
    unsupported("n_inner", "the MLP is 4 x n_embd wide");
  if (c.contains("layer_norm_epsilon") && std::abs(c["layer_norm_epsilon"].get<double>() - 1e-5) > 1e-12)
    unsupported("layer_norm_epsilon", "LayerNorm uses 1e-5");
  if (c.value("scale_attn_by_inverse_layer_idx", false)) unsupported("scale_attn_by_inverse_layer_idx", "scores are scaled by 1/sqrt(d_head) only");
  if (!c.value("scale_attn_weights", true)) unsupported("scale_attn_weights", "scores are scaled by 1/sqrt(d_head)");
  if (m.n_embd % m.n_head != 0) unsupported("n_embd", "not a multiple of n_head");
  m.validate();
  return m;
}

ImportSummary import_gpt2(const std::string& hf_dir, const std::string& run_dir) {
  if (!fs::is_directory(hf_dir)) throw PathError(hf_dir + ": not a directory");
  const auto config_path = (fs::path(hf_dir) / "config.json").string();
  ModelConfig m = gpt2_model_config(read_json_object_file(config_path), config_path);
  const auto files = weight_files(hf_dir);
  const auto tokenizer = data::ByteBpeTokenizer::from_directory(hf_dir);
  if (tokenizer->vocab_size() != m.vocab_size)
    throw ConfigError(config_path + ": vocab_size = " + std::to_string(m.vocab_size) + " but the tokenizer has " +
                      std::to_string(tokenizer->vocab_size()) + " tokens; they must agree");
  const auto index = index_weights(files);
  // the config decides what is allocated: it must declare what the files hold, no more
  int64_t held = 0;
  for (const auto& [name, where] : index)
    if (name != "lm_head.weight" || !m.tie_weights) held += SafetensorsIndex{{where.entry}, {}, 0}.elements();
  if (held != parameter_count(m))
    throw CheckpointError(config_path + " declares a model of " + std::to_string(parameter_count(m)) +
                          " parameters, but the weights hold " + std::to_string(held) + ": they do not belong together");
  Gpt model(m);  // its shapes; every parameter is overwritten below
  check_against_headers(model, index, hf_dir);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters()) {
      const auto& at = index.at(hf_name(p.key()));
      auto t = read_tensor(at);
      if (hf_transposed(p.key())) t = t.t();
      if (!torch::isfinite(t).all().item<bool>())
        throw CheckpointError(at.file + ": tensor '" + at.entry.name + "' holds NaN or infinite values");
      p.value().copy_(t);  // any float dtype the file holds, to the model's fp32
    }
  }
  CheckpointMeta meta;
  meta.model = m;
  meta.data.source = "";  // an imported model has no data of its own: eval --data, train --data
  meta.data.tokenizer = "gpt2";
  meta.data.tokenizer_files = fs::absolute(hf_dir).string();
  meta.localist.lambda = 0;  // as trained: ordinary attention; the dial moves at inference
  meta.tokenizer = tokenizer->to_json();
  meta.metrics = {{"imported_from", fs::absolute(hf_dir).string()}};
  const auto checkpoint_dir = (fs::path(run_dir) / "checkpoint").string();
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec) throw PathError("cannot create run directory '" + run_dir + "'");
  save_checkpoint(checkpoint_dir, meta, model, nullptr);
  return {m, model->num_params(), tokenizer->vocab_size(), checkpoint_dir};
}

}  // namespace localist::hf
