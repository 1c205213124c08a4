#include "localist/data/sentencepiece_tokenizer.h"

#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <unordered_set>

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include "localist/core/errors.h"
#include "localist/core/temp_dir.h"
#include "localist/data/base64.h"
#include "localist/data/utf8.h"

namespace localist::data {
namespace {

constexpr int kSentencePieceFormat = 1;
// SentencePiece trains on at most this many sentences and bytes (its memory grows with both);
// beyond that a deterministic stride sample of the lines is used. (SentencePiece's own sampling
// draws from an unseeded generator, so runs would differ.)
constexpr size_t kMaxTrainSentences = 1000000;
constexpr size_t kMaxTrainBytes = size_t{128} << 20;
// <unk> plus the 256 byte-fallback pieces.
constexpr int64_t kMetaPieces = 257;
const char kWordMark[] = "\xE2\x96\x81";  // U+2581, SentencePiece's word-boundary mark

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (true) {
    const size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(text.substr(start));
      return lines;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
}


void require_utf8(const std::string& kind, const std::string& text, const char* what) {
  const size_t bad = first_invalid_utf8(text);
  if (bad != std::string::npos)
    throw DataError("tokenizer " + kind + ": " + what + " is not valid UTF-8 at byte " +
                    std::to_string(bad) + "; convert it to UTF-8 or use " + setting("tokenizer") + " char");
}

// Distinct characters of the sample: with coverage 1.0 each needs a piece of its own.
size_t distinct_characters(const std::vector<std::string_view>& lines) {
  std::array<bool, 128> ascii{};
  ascii[' '] = true;  // the dummy prefix puts a word mark on every line
  std::unordered_set<std::string_view> others;
  for (std::string_view line : lines) {
    for (size_t i = 0; i < line.size();) {
      const auto c = static_cast<unsigned char>(line[i]);
      if (c < 0x80) {
        ascii[c] = true;
        ++i;
        continue;
      }
      const size_t len = std::max<size_t>(1, utf8_sequence_length(line, i));
      others.insert(line.substr(i, len));
      i += len;
    }
  }
  return static_cast<size_t>(std::count(ascii.begin(), ascii.end(), true)) + others.size();
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(std::string kind, std::string model_proto,
                                               int64_t requested_vocab)
    : kind_(std::move(kind)),
      model_proto_(std::move(model_proto)),
      requested_vocab_(requested_vocab),
      sp_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  if (kind_ != "bpe" && kind_ != "unigram")
    throw DataError("tokenizer json: kind = '" + kind_ + "' is not a SentencePiece kind");
  if (const auto status = sp_->LoadFromSerializedProto(model_proto_); !status.ok())
    throw DataError("tokenizer " + kind_ + ": cannot load the SentencePiece model (" + status.ToString() + ")");
  newline_id_ = sp_->PieceToId("<0x0A>");
  if (newline_id_ < 0 || !sp_->IsByte(newline_id_))
    throw DataError("tokenizer " + kind_ +
                    ": SentencePiece model has no byte piece <0x0A> (trained without "
                    "byte_fallback?)");
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::train(const std::string& kind,
                                                                      const std::string& text,
                                                                      int64_t vocab) {
  require_utf8(kind, text, "training text");
  std::vector<std::string_view> lines;
  size_t bytes = 0;
  for (std::string_view line : split_lines(text))
    if (!line.empty()) lines.push_back(line), bytes += line.size() + 1;
  const size_t stride = std::max({size_t{1}, (lines.size() + kMaxTrainSentences - 1) / kMaxTrainSentences,
                                  (bytes + kMaxTrainBytes - 1) / kMaxTrainBytes});
  if (stride > 1) {
    std::vector<std::string_view> sample;
    for (size_t i = 0; i < lines.size(); i += stride) sample.push_back(lines[i]);
    lines.swap(sample);
  }
  const size_t n_chars = distinct_characters(lines);
  const int64_t needed = kMetaPieces + static_cast<int64_t>(n_chars);
  if (vocab < needed)
    throw ConfigError("tokenizer_vocab = " + std::to_string(vocab) + " is too small for " + kind +
                      " on this corpus; expected >= " + std::to_string(needed) + " (<unk> + 256 "
                      "byte pieces + " + std::to_string(n_chars) + " distinct characters)");

  TempDir scratch("localist_spm");  // the trainer reads its sentences from a file
  const std::string input = scratch.file("sentences.txt");
  size_t longest = 0;
  {
    std::ofstream out(input, std::ios::binary);
    for (std::string_view line : lines) {
      out.write(line.data(), static_cast<std::streamsize>(line.size()));
      out.put('\n');
      longest = std::max(longest, line.size());
    }
    if (!out.flush())
      throw PathError("cannot write SentencePiece's training sentences to '" + input + "'");
  }
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  const std::unordered_map<std::string, std::string> flags = {
      {"input", input},
      {"model_type", kind},
      {"vocab_size", std::to_string(vocab)},
      // Soft limit: a small corpus yields fewer pieces instead of failing after training.
      {"hard_vocab_limit", "false"},
      {"character_coverage", "1.0"},
      {"byte_fallback", "true"},
      {"normalization_rule_name", "identity"},
      {"remove_extra_whitespaces", "false"},
      {"split_by_whitespace", "true"},
      {"add_dummy_prefix", "true"},
      {"unk_id", "0"},
      {"bos_id", "-1"},
      {"eos_id", "-1"},
      {"pad_id", "-1"},
      // The default (4192 bytes) silently drops long lines such as WikiText paragraphs.
      {"max_sentence_length", std::to_string(std::max<size_t>(longest + 1, 4192))},
      {"num_threads", std::to_string(threads)},
      {"minloglevel", "2"},  // training chatter off; errors still come back as a status
  };
  std::string proto;
  if (const auto status = sentencepiece::SentencePieceTrainer::Train(flags, nullptr, &proto); !status.ok())
    throw ConfigError("tokenizer " + kind + ": SentencePiece training failed with vocab " +
                      std::to_string(vocab) + " (" + status.ToString() + "); try a different " + setting("tokenizer_vocab"));
  return std::make_unique<SentencePieceTokenizer>(kind, std::move(proto), vocab);
}

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_json(const nlohmann::json& j) {
  return std::make_unique<SentencePieceTokenizer>(
      j.at("kind").get<std::string>(), base64_decode(j.at("model").get<std::string>()),
      j.value("requested_vocab", int64_t{0}));
}

std::vector<int32_t> SentencePieceTokenizer::encode(const std::string& text) const {
  require_utf8(kind_, text, "text");
  std::vector<int32_t> out;
  out.reserve(text.size() / 3);
  bool first = true;
  for (std::string_view line : split_lines(text)) {
    if (!first) out.push_back(newline_id_);
    first = false;
    if (line.empty()) continue;
    std::vector<int> ids;
    if (const auto status = sp_->Encode(line, &ids); !status.ok())
      throw DataError("tokenizer " + kind_ + ": SentencePiece encode failed: " + status.ToString());
    out.insert(out.end(), ids.begin(), ids.end());
  }
  return out;
}

std::string SentencePieceTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  std::vector<int> line;
  const auto flush = [&] {
    if (line.empty()) return;
    std::string text;
    if (const auto status = sp_->Decode(line, &text); !status.ok())
      throw DataError("tokenizer " + kind_ + ": SentencePiece decode failed: " + status.ToString());
    out += text;
    line.clear();
  };
  for (int32_t id : ids) {
    check_token_id(kind_, id, vocab_size());
    if (id == newline_id_) {
      flush();  // each line decodes on its own, as it was encoded
      out += '\n';
    } else {
      line.push_back(id);
    }
  }
  flush();
  return out;
}

int64_t SentencePieceTokenizer::vocab_size() const { return sp_->GetPieceSize(); }

nlohmann::json SentencePieceTokenizer::to_json() const {
  return {{"kind", kind_},
          {"format", kSentencePieceFormat},
          {"requested_vocab", requested_vocab_},
          {"model", base64_encode(model_proto_)}};
}

std::string SentencePieceTokenizer::token_text(int32_t id) const {
  check_token_id(kind_, id, vocab_size());
  if (sp_->IsUnknown(id)) return "<unk>";
  const std::string& piece = sp_->IdToPiece(id);
  if (sp_->IsByte(id)) {
    // Pieces look like <0x41>; show ASCII bytes as themselves.
    const unsigned value = static_cast<unsigned>(std::stoul(piece.substr(3, 2), nullptr, 16));
    return value < 0x80 ? std::string(1, static_cast<char>(value)) : piece;
  }
  std::string out;
  for (size_t pos = 0; pos < piece.size();) {
    if (piece.compare(pos, 3, kWordMark) == 0) {
      out += ' ';
      pos += 3;
    } else {
      out += piece[pos++];
    }
  }
  return out;
}

}  // namespace localist::data
