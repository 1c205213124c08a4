#include "localist/data/corpus.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "localist/core/errors.h"
#include "localist/data/utf8.h"

namespace localist::data {
namespace fs = std::filesystem;
namespace {

// One split's text and a human-readable note of where it came from.
struct Part {
  std::string text;
  std::string origin;  // path (or "synthetic") named in error messages
  std::string note;    // for the description
  bool carved = false; // cut from a larger text (so disjoint from the other piece)
};

std::string percent(double fraction) {
  std::ostringstream s;
  s << fraction * 100 << "%";
  return s.str();
}

std::string size_note(const std::string& text) { return std::to_string(text.size()) + " bytes"; }

Part file_part(const std::string& path) {
  Part p{read_text_file(path), path, ""};
  // Text never holds NUL; a file that does is binary (an archive, a model, a token cache).
  if (const size_t nul = p.text.find('\0'); nul != std::string::npos)
    throw DataError("corpus '" + path + "': byte " + std::to_string(nul) +
                    " is NUL; this looks like a binary file, not text");
  p.note = path + " (" + size_note(p.text) + ")";
  return p;
}

// Splits one text into head (train) and tail (valid).
std::pair<Part, Part> carve(const Part& whole, double valid_fraction, const std::string& why) {
  const size_t cut = split_point(whole.text, valid_fraction);
  Part head{whole.text.substr(0, cut), whole.origin, "", true};
  Part tail{whole.text.substr(cut), whole.origin, "", true};
  head.note = "first " + percent(1 - valid_fraction) + " of " + whole.origin + " (" +
              size_note(head.text) + ")";
  tail.note = "last " + percent(valid_fraction) + " of " + whole.origin + " (" +
              size_note(tail.text) + ", " + why + ")";
  return {std::move(head), std::move(tail)};
}

std::optional<std::string> find_in_dir(const fs::path& dir, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const fs::path p = dir / name;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return std::nullopt;
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec);
}

Part synthetic_part(const DataConfig& cfg, const std::string& split) {
  const SyntheticSpec spec = synthetic_split_spec(cfg, split);
  Part p{generate_synthetic(spec).text, "synthetic", ""};
  p.note = "synthetic (" + std::to_string(spec.n_blocks) + (spec.interleave ? " interleaved (stay " + std::to_string(spec.stay).substr(0, 4) + ")" : "") +
           (spec.recall > 0 ? " recall " + std::to_string(spec.recall).substr(0, 4) : "") + " blocks x " +
           std::to_string(spec.vocab_per_block) + " words, seed " + std::to_string(spec.seed) +
           ", >= " + std::to_string(spec.n_tokens) + " tokens, " + size_note(p.text) + ")";
  return p;
}

}  // namespace

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (!fs::exists(st)) throw PathError("'" + path + "': no such file");
  if (fs::is_directory(st)) throw PathError("'" + path + "': is a directory, expected a text file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PathError("'" + path + "': cannot be read (" + std::strerror(errno) + ")");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) throw PathError("'" + path + "': read failed");
  return buf.str();
}

SyntheticSpec synthetic_split_spec(const DataConfig& cfg, const std::string& split) {
  SyntheticSpec spec;
  spec.n_blocks = cfg.synth_blocks;
  spec.interleave = cfg.synth_interleave;
  spec.stay = cfg.synth_stay;
  spec.recall = cfg.synth_recall;
  if (split == "train") {
    spec.n_tokens = cfg.synth_tokens;
    spec.seed = cfg.synth_seed;
  } else if (split == "valid" || split == "test") {
    spec.n_tokens = std::max<int64_t>(1000, cfg.synth_tokens / 10);
    spec.seed = cfg.synth_seed + (split == "valid" ? 1 : 2);
  } else {
    throw ConfigError("synthetic split '" + split + "' is unknown; expected train, valid or test");
  }
  return spec;
}

size_t split_point(const std::string& text, double tail_fraction) {
  const size_t n = text.size();
  const auto exact = static_cast<size_t>(static_cast<double>(n) * (1 - tail_fraction));
  if (exact == 0 || exact >= n) return exact;
  const size_t window = std::max<size_t>(64, n / 100);
  // Nearest newline on either side; the cut goes just after it.
  const size_t before = text.rfind('\n', exact - 1);
  const size_t after = text.find('\n', exact);
  size_t best = std::string::npos, best_dist = window + 1;
  if (before != std::string::npos && exact - (before + 1) <= window)
    best = before + 1, best_dist = exact - (before + 1);
  if (after != std::string::npos && after + 1 < n && after + 1 - exact < best_dist)
    best = after + 1;
  if (best != std::string::npos && best > 0 && best < n) return best;
  return utf8_char_start(text, exact);
}

Splits load_splits(const DataConfig& cfg) {
  if (!(cfg.valid_fraction > 0 && cfg.valid_fraction < 1))
    throw ConfigError("config: valid_fraction = " + std::to_string(cfg.valid_fraction) +
                      " is impossible; expected in (0, 1)");
  std::optional<Part> train, valid, test;
  const std::string& src = cfg.source;

  if (src == "synthetic") {
    train = synthetic_part(cfg, "train");
    valid = synthetic_part(cfg, "valid");
    test = synthetic_part(cfg, "test");
  } else if (src.empty()) {
    if (cfg.train_file.empty())
      throw ConfigError("data: source is empty and train_file is not set; expected a corpus "
                        "file or directory, 'synthetic', or an explicit train file (a model imported "
                        "with import-hf has no data of its own: give " + setting("data") + ")");
  } else {
    std::error_code ec;
    const auto st = fs::status(src, ec);
    if (!fs::exists(st))
      throw PathError("corpus '" + src + "': no such file or directory");
    if (fs::is_directory(st)) {
      const auto t = find_in_dir(src, {"train.txt", "wiki.train.tokens"});
      const auto v = find_in_dir(src, {"valid.txt", "wiki.valid.tokens"});
      const auto e = find_in_dir(src, {"test.txt", "wiki.test.tokens"});
      if (!t && cfg.train_file.empty())
        throw PathError("corpus '" + src +
                        "': no train split; looked for train.txt and wiki.train.tokens (or set "
                        "an explicit train file)");
      if (t) train = file_part(*t);
      if (v) valid = file_part(*v);
      if (e) test = file_part(*e);
    } else {
      auto [head, tail] = carve(file_part(src), cfg.valid_fraction, "held out");
      train = std::move(head);
      valid = std::move(tail);
    }
  }

  // Explicit files win over whatever the source gave.
  if (!cfg.train_file.empty()) train = file_part(cfg.train_file);
  if (!cfg.valid_file.empty()) valid = file_part(cfg.valid_file);
  if (!cfg.test_file.empty()) test = file_part(cfg.test_file);

  if (!valid) {
    auto [head, tail] = carve(*train, cfg.valid_fraction, "no valid split given");
    train = std::move(head);
    valid = std::move(tail);
  }
  if (!test) {
    test = *valid;
    test->note = "same as valid (no test split given)";
  }

  const auto check = [](const Part& p, const char* name) {
    if (p.text.find_first_not_of(" \t\r\n\v\f") == std::string::npos)
      throw DataError("corpus " + p.origin + ": " + name + " split is empty");
  };
  check(*train, "train");
  check(*valid, "valid");
  check(*test, "test");

  Splits s;
  s.description = "train: " + train->note + "\nvalid: " + valid->note;
  if (!valid->carved && same_file(train->origin, valid->origin))
    s.description += " [warning: same file as train]";
  s.description += "\ntest: " + test->note;
  s.train = std::move(train->text);
  s.valid = std::move(valid->text);
  s.test = std::move(test->text);
  return s;
}

}  // namespace localist::data
