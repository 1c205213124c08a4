#include "localist/run/run_data.h"

#include <filesystem>

#include "localist/core/errors.h"
#include "localist/data/byte_bpe_tokenizer.h"
#include "localist/data/corpus.h"

namespace localist {
namespace {

// gpt2 is read from Hugging Face's files, not trained: a run from scratch names them.
std::unique_ptr<data::Tokenizer> read_gpt2_tokenizer(const DataConfig& cfg) {
  if (cfg.tokenizer_files.empty())
    throw ConfigError("tokenizer gpt2 is read from files, not trained: give " + setting("tokenizer_files") + " DIR "
                      "(vocab.json + merges.txt, or tokenizer.json)");
  return data::ByteBpeTokenizer::from_directory(cfg.tokenizer_files);
}

struct PhaseText {
  std::string file, text;
  int64_t steps;
};

// "FILE:STEPS" (checked by DataConfig::validate) -> the file's text and its steps.
std::vector<PhaseText> read_phases(const std::vector<std::string>& phases) {
  std::vector<PhaseText> out;
  for (const auto& p : phases) {
    const auto c = p.rfind(':');
    out.push_back({p.substr(0, c), data::read_text_file(p.substr(0, c)), std::stoll(p.substr(c + 1))});
  }
  return out;
}

}  // namespace

int64_t phase_at(const std::vector<Phase>& phases, int64_t step) {
  if (phases.empty()) return -1;
  int64_t end = 0;
  for (size_t i = 0; i < phases.size(); ++i)
    if (step < (end += phases[i].steps)) return static_cast<int64_t>(i);
  return static_cast<int64_t>(phases.size()) - 1;
}

RunData prepare_run_data(const DataConfig& given, const std::string& cache_dir,
                         const nlohmann::json* tokenizer_json) {
  given.validate();
  const auto phase_texts = read_phases(given.phases);  // PathError naming a missing file, before anything
  DataConfig cfg = given;
  if (!phase_texts.empty() && cfg.source.empty() && cfg.train_file.empty()) cfg.train_file = phase_texts[0].file;
  auto splits = data::load_splits(cfg);
  if (!phase_texts.empty()) {  // the tokenizer (and train.bin) see every phase
    splits.train.clear();
    for (const auto& p : phase_texts) splits.train += p.text;
    splits.description += "\nphases: train on " + std::to_string(phase_texts.size()) + " files in turn (--phase), " +
                          std::to_string(splits.train.size()) + " bytes in all";
  }
  auto tok = tokenizer_json         ? data::tokenizer_from_json(*tokenizer_json)
             : cfg.tokenizer == "gpt2" ? read_gpt2_tokenizer(cfg)
                                       : data::train_tokenizer(cfg.tokenizer, splits.train, cfg.tokenizer_vocab);
  std::error_code ec;
  std::filesystem::create_directories(cache_dir, ec);
  if (ec) throw PathError("cannot create token cache directory '" + cache_dir + "'");
  auto train = data::cached_tokens(cache_dir + "/train.bin", splits.train, *tok);
  auto valid = data::cached_tokens(cache_dir + "/valid.bin", splits.valid, *tok);
  auto test = data::cached_tokens(cache_dir + "/test.bin", splits.test, *tok);
  RunData out{std::move(tok), std::move(train), std::move(valid), std::move(test), splits.description, {}};
  for (size_t i = 0; i < phase_texts.size(); ++i)
    out.phases.push_back({phase_texts[i].file, phase_texts[i].steps,
                          data::cached_tokens(cache_dir + "/phase-" + std::to_string(i + 1) + ".bin",
                                              phase_texts[i].text, *out.tokenizer)});
  return out;
}

}  // namespace localist
