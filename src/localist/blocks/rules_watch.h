#pragma once
// Hot reload of a rules file (docs/design.md §1.7): the blocks, anchors and targets a running
// session uses are swapped when the file changes, without touching the weights. A change is a
// change of content (not of modification time, whose granularity can hide quick edits). A file
// that no longer parses is reported with its line and field, and the rules in force stay.
#include <memory>
#include <optional>
#include <string>

#include "localist/core/config.h"
#include "localist/data/tokenizer.h"
#include "localist/blocks/block_map.h"

namespace localist {

class RulesWatch {
 public:
  // `base`: the session's localist settings (dial, block kind); `path`: the rules file, read
  // now (its errors throw: a session does not start on a broken file).
  RulesWatch(LocalistConfig base, std::string path, const data::Tokenizer& tokenizer);

  struct Event {
    bool reloaded = false;  // the new rules are in force
    std::string message;    // what to tell the user (reloaded: a summary; else the error)
  };
  // Reads the file; nothing when its content is unchanged.
  std::optional<Event> poll();

  const BlockMap& blocks() const { return *blocks_; }
  const LocalistConfig& config() const { return config_; }
  int64_t reloads() const { return reloads_; }

 private:
  void load(const std::string& text);

  LocalistConfig config_;
  std::string path_, text_;
  const data::Tokenizer& tokenizer_;
  std::unique_ptr<BlockMap> blocks_;
  int64_t reloads_ = 0;
};

}  // namespace localist
