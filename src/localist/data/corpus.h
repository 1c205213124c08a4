#pragma once
// Where the text comes from: the train/valid/test splits of a corpus, from
//   source = "synthetic"   the embedded generator (synthetic.h), seeds synth_seed, +1, +2;
//   source = a directory   train.txt|valid.txt|test.txt or WikiText's wiki.{train,valid,test}.tokens;
//   source = a text file   the first (1 - valid_fraction) is train, the rest valid (and test),
//                          as nanoGPT's shakespeare_char does 90/10;
// then cfg.train_file/valid_file/test_file replace whatever the source gave. A missing valid
// split is carved from the tail of train, a missing test split is the valid split; the
// description says which happened, so it can be printed beside every number.
#include <string>

#include "localist/core/config.h"
#include "localist/data/synthetic.h"

namespace localist::data {

struct Splits {
  std::string train, valid, test;
  std::string description;  // one line per split: where it came from and its size
};

// PathError for a missing path, ConfigError for an impossible setting, DataError when a split
// has no text ("corpus PATH: train split is empty").
Splits load_splits(const localist::DataConfig& cfg);

// The whole file, bytes as they are. PathError if missing, unreadable or a directory.
std::string read_text_file(const std::string& path);

// The spec load_splits uses for split "train", "valid" or "test" of the synthetic source, so the
// ground truth of any split can be regenerated (train gets synth_tokens tokens, valid and test
// max(1000, synth_tokens / 10)).
SyntheticSpec synthetic_split_spec(const localist::DataConfig& cfg, const std::string& split);

// Cuts `text` so that the tail holds about `tail_fraction` of its bytes: at the newline nearest
// to the exact cut when one lies within 1% of the text (at least 64 bytes) of it, otherwise at the
// UTF-8 character boundary at or before the exact cut. Returns the byte offset of the cut.
size_t split_point(const std::string& text, double tail_fraction);

}  // namespace localist::data
