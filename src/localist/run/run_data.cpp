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
    throw ConfigError("tokenizer gpt2 is read from files, not trained: give --tokenizer-files DIR "
                      "(vocab.json + merges.txt, or tokenizer.json)");
  return data::ByteBpeTokenizer::from_directory(cfg.tokenizer_files);
}

}  // namespace

RunData prepare_run_data(const DataConfig& cfg, const std::string& cache_dir,
                         const nlohmann::json* tokenizer_json) {
  cfg.validate();
  auto splits = data::load_splits(cfg);
  auto tok = tokenizer_json         ? data::tokenizer_from_json(*tokenizer_json)
             : cfg.tokenizer == "gpt2" ? read_gpt2_tokenizer(cfg)
                                       : data::train_tokenizer(cfg.tokenizer, splits.train, cfg.tokenizer_vocab);
  std::error_code ec;
  std::filesystem::create_directories(cache_dir, ec);
  if (ec) throw PathError("cannot create token cache directory '" + cache_dir + "'");
  auto train = data::cached_tokens(cache_dir + "/train.bin", splits.train, *tok);
  auto valid = data::cached_tokens(cache_dir + "/valid.bin", splits.valid, *tok);
  auto test = data::cached_tokens(cache_dir + "/test.bin", splits.test, *tok);
  return RunData{std::move(tok), std::move(train), std::move(valid), std::move(test),
                 splits.description};
}

}  // namespace localist
