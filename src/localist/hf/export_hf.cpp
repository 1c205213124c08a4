#include "localist/hf/export_hf.h"

#include <filesystem>

#include "localist/core/atomic_file.h"
#include "localist/core/errors.h"
#include "localist/core/safetensors.h"
#include "localist/data/byte_bpe_tokenizer.h"
#include "localist/hf/gpt2_names.h"
#include "localist/run/checkpoint.h"

namespace fs = std::filesystem;

namespace localist::hf {
namespace {

// What GPT-2 cannot express is refused; what it runs differently is said.
std::vector<std::string> check_exportable(const CheckpointMeta& meta) {
  const auto& m = meta.model;
  if (!m.causal) throw ConfigError("export-hf: the run is bidirectional (--no-causal-mask); GPT-2 is causal");
  if (m.head_size > 0 && m.head_size * m.n_head != m.n_embd)
    throw ConfigError("export-hf: heads of width " + std::to_string(m.head_size) + " (grown by recruitment) do not "
                      "fit GPT-2, whose heads split n_embd = " + std::to_string(m.n_embd) + " evenly");
  if (m.attn_temperature != 1.0)
    throw ConfigError("export-hf: attn_temperature = " + std::to_string(m.attn_temperature) + "; GPT-2 has none (1)");
  if (m.block_units > 0)
    throw ConfigError("export-hf: the run's queries and keys read block-structured units (" + setting("block_units") + " " +
                      std::to_string(m.block_units) + "); GPT-2 reads every unit");
  std::vector<std::string> notes;
  const auto& l = meta.localist;
  if (l.lambda > 0 && l.logit_bias)
    notes.push_back("the run was trained with the locality dial on (lambda " + nlohmann::json(l.lambda).dump() +
                    ", blocks " + l.blocks + "): a stock GPT-2 runs it without the dial (lambda 0), as "
                    "`localist eval --lambda 0` does; its numbers there are the ones to compare");
  if (meta.tokenizer.value("kind", "") != "gpt2")
    notes.push_back("tokenizer '" + meta.tokenizer.value("kind", std::string("?")) + "' is not GPT-2's byte-level BPE: "
                    "no tokenizer files written; token ids are this run's");
  return notes;
}

nlohmann::json hf_config(const CheckpointMeta& meta, const std::vector<std::string>& notes, const data::Tokenizer* tok) {
  const auto& m = meta.model;
  nlohmann::json c = {{"model_type", "gpt2"},
                      {"architectures", {"GPT2LMHeadModel"}},
                      {"vocab_size", m.vocab_size},
                      {"n_positions", m.context_length},
                      {"n_embd", m.n_embd},
                      {"n_layer", m.n_layer},
                      {"n_head", m.n_head},
                      {"n_inner", nullptr},
                      {"activation_function", m.activation == "gelu_tanh" ? "gelu_new" : "gelu"},
                      {"layer_norm_epsilon", 1e-5},
                      {"resid_pdrop", m.dropout},
                      {"embd_pdrop", m.dropout},
                      {"attn_pdrop", m.dropout},
                      {"initializer_range", 0.02},
                      {"scale_attn_weights", true},
                      {"tie_word_embeddings", m.tie_weights},
                      {"torch_dtype", "float32"},
                      {"localist", {{"localist", meta.localist}, {"step", meta.step}, {"notes", notes}}}};
  if (tok) {
    const auto* bpe = dynamic_cast<const data::ByteBpeTokenizer*>(tok);
    for (const auto& s : bpe->special())
      if (s == "<|endoftext|>") {
        const auto id = tok->encode(s).at(0);
        c["bos_token_id"] = id;
        c["eos_token_id"] = id;
      }
  }
  return c;
}

void write_tokenizer(const data::ByteBpeTokenizer& tok, int64_t context, const fs::path& dir) {
  nlohmann::json vocab = nlohmann::json::object();
  for (size_t i = 0; i < tok.vocab().size(); ++i) vocab[tok.vocab()[i]] = i;
  write_text_atomically((dir / "vocab.json").string(), vocab.dump());
  std::string merges = "#version: 0.2\n";
  for (const auto& [a, b] : tok.merges()) merges += a + " " + b + "\n";
  write_text_atomically((dir / "merges.txt").string(), merges);
  nlohmann::json config = {{"tokenizer_class", "GPT2Tokenizer"}, {"model_max_length", context}, {"add_prefix_space", false}};
  for (const auto& s : tok.special())
    if (s == "<|endoftext|>") config["bos_token"] = config["eos_token"] = config["unk_token"] = s;
  write_text_atomically((dir / "tokenizer_config.json").string(), config.dump(2) + "\n");
}

}  // namespace

ExportSummary export_gpt2(const std::string& run, const std::string& out_dir) {
  auto lm = load_model(run, torch::kCPU);
  ExportSummary s;
  s.notes = check_exportable(lm.meta);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw PathError("cannot create '" + out_dir + "'");
  TensorMap tensors;
  for (const auto& p : lm.model->named_parameters()) {
    auto t = p.value().detach();
    tensors[hf_name(p.key())] = hf_transposed(p.key()) ? t.t().contiguous() : t;
  }
  save_safetensors((fs::path(out_dir) / "model.safetensors").string(), tensors, {{"format", "pt"}});
  const auto* bpe = dynamic_cast<const data::ByteBpeTokenizer*>(lm.tokenizer.get());
  if (bpe) write_tokenizer(*bpe, lm.meta.model.context_length, out_dir);
  s.tokenizer = bpe != nullptr;
  write_text_atomically((fs::path(out_dir) / "config.json").string(),
                        hf_config(lm.meta, s.notes, bpe ? lm.tokenizer.get() : nullptr).dump(2) + "\n");
  s.params = lm.model->num_params();
  return s;
}

}  // namespace localist::hf
