#include "localist/run/run_data.h"

#include <filesystem>

#include "localist/core/errors.h"
#include "localist/data/corpus.h"

namespace localist {

RunData prepare_run_data(const DataConfig& cfg, const std::string& cache_dir,
                         const nlohmann::json* tokenizer_json) {
  cfg.validate();
  auto splits = data::load_splits(cfg);
  auto tok = tokenizer_json ? data::tokenizer_from_json(*tokenizer_json)
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
