#include "localist/train/run_data.h"

#include <filesystem>

#include "localist/core/errors.h"
#include "localist/data/corpus.h"

namespace localist {

RunData prepare_run_data(const DataConfig& cfg, const std::string& cache_dir,
                         const nlohmann::json* tokenizer_json) {
  cfg.validate();
  auto splits = data::load_splits(cfg);
  RunData rd;
  rd.description = splits.description;
  rd.tokenizer = tokenizer_json ? data::tokenizer_from_json(*tokenizer_json)
                                : data::train_tokenizer(cfg.tokenizer, splits.train,
                                                        cfg.tokenizer_vocab);
  std::error_code ec;
  std::filesystem::create_directories(cache_dir, ec);
  if (ec) throw PathError("cannot create token cache directory '" + cache_dir + "'");
  rd.train = data::cached_tokens(cache_dir + "/train.bin", splits.train, *rd.tokenizer);
  rd.valid = data::cached_tokens(cache_dir + "/valid.bin", splits.valid, *rd.tokenizer);
  rd.test = data::cached_tokens(cache_dir + "/test.bin", splits.test, *rd.tokenizer);
  return rd;
}

}  // namespace localist
