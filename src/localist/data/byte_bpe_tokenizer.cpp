#include "localist/data/byte_bpe_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <sstream>

#include "localist/core/errors.h"
#include "localist/core/json_text.h"
#include "localist/data/corpus.h"
#include "localist/data/utf8.h"

namespace localist::data {
namespace {

constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr int kGpt2Format = 1;

std::string utf8_of(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// Inverse of byte_symbols(): the UTF-8 of a symbol character -> its byte.
const std::unordered_map<std::string, uint8_t>& symbol_bytes() {
  static const auto map = [] {
    std::unordered_map<std::string, uint8_t> m;
    for (int b = 0; b < 256; ++b) m[byte_symbols()[b]] = static_cast<uint8_t>(b);
    return m;
  }();
  return map;
}

std::string pair_key(const std::string& a, const std::string& b) { return a + '\x01' + b; }

// A token string (symbol characters) -> the bytes it stands for; nullopt-like empty flag on a
// character outside the byte alphabet (a special token's text is taken as it is).
bool token_bytes(const std::string& token, std::string& out) {
  out.clear();
  for (size_t i = 0; i < token.size();) {
    const size_t n = utf8_sequence_length(token, i);
    if (n == 0) return false;
    const auto it = symbol_bytes().find(token.substr(i, n));
    if (it == symbol_bytes().end()) return false;
    out += static_cast<char>(it->second);
    i += n;
  }
  return true;
}

}  // namespace

const std::vector<std::string>& byte_symbols() {
  // GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest for U+0100 + n.
  static const auto symbols = [] {
    std::vector<std::string> s(256);
    std::vector<bool> printable(256, false);
    for (int b = '!'; b <= '~'; ++b) printable[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) printable[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) printable[b] = true;
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) s[b] = utf8_of(printable[b] ? static_cast<uint32_t>(b) : next++);
    return s;
  }();
  return symbols;
}

struct ByteBpeTokenizer::Pattern {
  pcre2_code* code = nullptr;
  ~Pattern() { pcre2_code_free(code); }
};

ByteBpeTokenizer::ByteBpeTokenizer(std::vector<std::string> vocab,
                                   std::vector<std::pair<std::string, std::string>> merges,
                                   std::vector<std::string> special)
    : vocab_(std::move(vocab)), merges_(std::move(merges)), special_(std::move(special)), pattern_(std::make_unique<Pattern>()) {
  if (vocab_.empty()) throw DataError("tokenizer gpt2: the vocabulary is empty");
  if (vocab_.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    throw DataError("tokenizer gpt2: " + std::to_string(vocab_.size()) + " tokens, more than int32 ids hold");
  for (size_t i = 0; i < vocab_.size(); ++i)
    if (!id_of_.emplace(vocab_[i], static_cast<int32_t>(i)).second)
      throw DataError("tokenizer gpt2: token '" + vocab_[i] + "' appears twice in the vocabulary");
  for (size_t r = 0; r < merges_.size(); ++r)
    rank_of_.emplace(pair_key(merges_[r].first, merges_[r].second), static_cast<int32_t>(r));
  for (const auto& s : special_)
    if (!id_of_.count(s) || s.empty())
      throw DataError("tokenizer gpt2: special token '" + s + "' is not in the vocabulary");
  for (const auto& b : byte_symbols())
    if (!id_of_.count(b))
      throw DataError("tokenizer gpt2: the vocabulary lacks the single-byte token '" + b +
                      "' (not a byte-level BPE vocabulary)");
  int error = 0;
  PCRE2_SIZE offset = 0;
  pattern_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kGpt2Pattern), PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (!pattern_->code) throw InternalError("tokenizer gpt2: the pre-tokenizer pattern does not compile");
}

ByteBpeTokenizer::~ByteBpeTokenizer() = default;

// BPE on one pre-token: its bytes as symbols, the lowest-ranked adjacent pair merged everywhere
// it occurs, until no pair has a rank.
void ByteBpeTokenizer::bpe(const std::string& piece, std::vector<int32_t>& out) const {
  std::vector<std::string> word;
  for (unsigned char c : piece) word.push_back(byte_symbols()[c]);
  while (word.size() > 1) {
    int32_t best = std::numeric_limits<int32_t>::max();
    for (size_t i = 0; i + 1 < word.size(); ++i) {
      const auto it = rank_of_.find(pair_key(word[i], word[i + 1]));
      if (it != rank_of_.end()) best = std::min(best, it->second);
    }
    if (best == std::numeric_limits<int32_t>::max()) break;
    const auto& [a, b] = merges_[best];
    std::vector<std::string> merged;
    for (size_t i = 0; i < word.size(); ++i) {
      if (i + 1 < word.size() && word[i] == a && word[i + 1] == b) {
        merged.push_back(a + b);
        ++i;
      } else {
        merged.push_back(word[i]);
      }
    }
    word = std::move(merged);
  }
  for (const auto& symbol : word) {
    const auto it = id_of_.find(symbol);
    if (it == id_of_.end())
      throw DataError("tokenizer gpt2: the merges produce '" + symbol + "', which the vocabulary lacks");
    out.push_back(it->second);
  }
}

// GPT-2's pre-tokenizer over text[begin, end), then BPE on each piece.
void ByteBpeTokenizer::encode_plain(const std::string& text, size_t begin, size_t end,
                                    std::vector<int32_t>& out) const {
  pcre2_match_data* match = pcre2_match_data_create_from_pattern(pattern_->code, nullptr);
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t at = begin;
  while (at < end) {
    // the subject's UTF-8 was checked once in encode(); no check per match (quadratic otherwise)
    const int rc = pcre2_match(pattern_->code, subject, end, at, PCRE2_NO_UTF_CHECK, match, nullptr);
    if (rc < 0) break;  // PCRE2_ERROR_NOMATCH: nothing left that the pattern takes
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match);
    if (ov[1] == ov[0]) {  // an empty match cannot happen with this pattern; never loop on one
      at += std::max<size_t>(1, utf8_sequence_length(text, at));
      continue;
    }
    bpe(text.substr(ov[0], ov[1] - ov[0]), out);
    at = ov[1];
  }
  pcre2_match_data_free(match);
}

std::vector<int32_t> ByteBpeTokenizer::encode(const std::string& text) const {
  const size_t bad = first_invalid_utf8(text);
  if (bad != std::string::npos)
    throw DataError("tokenizer gpt2: the text is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  std::vector<int32_t> out;
  size_t at = 0;
  while (at < text.size()) {
    // the next special token (the longest of those starting first)
    size_t found = std::string::npos, length = 0;
    for (const auto& s : special_) {
      const size_t p = text.find(s, at);
      if (p != std::string::npos && (p < found || (p == found && s.size() > length))) found = p, length = s.size();
    }
    const size_t stop = found == std::string::npos ? text.size() : found;
    encode_plain(text, at, stop, out);
    if (found == std::string::npos) break;
    out.push_back(id_of_.at(text.substr(found, length)));
    at = found + length;
  }
  return out;
}

std::string ByteBpeTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out, bytes;
  for (int32_t id : ids) {
    check_token_id("gpt2", id, vocab_size());
    const auto& token = vocab_[id];
    out += token_bytes(token, bytes) ? bytes : token;  // a special token is its own text
  }
  return out;
}

std::string ByteBpeTokenizer::token_text(int32_t id) const {
  check_token_id("gpt2", id, vocab_size());
  std::string bytes;
  if (!token_bytes(vocab_[id], bytes)) return vocab_[id];
  // a token may hold part of a character: such bytes are shown as <0xNN>
  std::string out;
  for (size_t i = 0; i < bytes.size();) {
    const size_t n = utf8_sequence_length(bytes, i);
    if (n == 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "<0x%02X>", static_cast<unsigned char>(bytes[i]));
      out += hex;
      ++i;
    } else {
      out += bytes.substr(i, n);
      i += n;
    }
  }
  return out;
}

nlohmann::json ByteBpeTokenizer::to_json() const {
  nlohmann::json merges = nlohmann::json::array();
  for (const auto& [a, b] : merges_) merges.push_back(a + " " + b);
  return {{"kind", "gpt2"}, {"format", kGpt2Format}, {"vocab", vocab_}, {"merges", merges}, {"special", special_}};
}

namespace {

std::pair<std::string, std::string> split_merge(const std::string& line, const std::string& source) {
  const size_t space = line.find(' ');
  if (space == std::string::npos || space == 0 || space + 1 >= line.size() || line.find(' ', space + 1) != std::string::npos)
    throw DataError(source + ": merge '" + line.substr(0, 80) + "' is not two tokens separated by one space");
  return {line.substr(0, space), line.substr(space + 1)};
}

// {token: id} (Hugging Face's vocab) -> tokens in id order; ids must be 0..N-1.
std::vector<std::string> vocab_in_id_order(const nlohmann::json& vocab, const std::string& source) {
  if (!vocab.is_object() || vocab.empty()) throw DataError(source + ": 'vocab' is not a non-empty {token: id} object");
  std::vector<std::string> out(vocab.size());
  std::vector<bool> seen(vocab.size(), false);
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= static_cast<int64_t>(vocab.size()))
      throw DataError(source + ": token '" + token + "' has id " + id.dump() + ", outside [0, " +
                      std::to_string(vocab.size()) + ")");
    const auto i = static_cast<size_t>(id.get<int64_t>());
    if (seen[i]) throw DataError(source + ": id " + std::to_string(i) + " is given to two tokens");
    seen[i] = true;
    out[i] = token;
  }
  return out;
}

std::unique_ptr<ByteBpeTokenizer> from_vocab_and_merges(const std::string& dir) {
  const auto vocab_path = (std::filesystem::path(dir) / "vocab.json").string();
  const auto merges_path = (std::filesystem::path(dir) / "merges.txt").string();
  auto vocab = vocab_in_id_order(read_json_object_file(vocab_path), vocab_path);
  std::vector<std::pair<std::string, std::string>> merges;
  std::istringstream lines(read_text_file(merges_path));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.rfind("#version", 0) == 0) continue;
    merges.push_back(split_merge(line, merges_path));
  }
  // GPT-2 lists <|endoftext|> in vocab.json; transformers treats <|...|> tokens as special
  std::vector<std::string> special;
  for (const auto& t : vocab)
    if (t.size() > 4 && t.rfind("<|", 0) == 0 && t.compare(t.size() - 2, 2, "|>") == 0) special.push_back(t);
  return std::make_unique<ByteBpeTokenizer>(std::move(vocab), std::move(merges), std::move(special));
}

bool is_byte_level(const nlohmann::json& pre) {
  if (!pre.is_object()) return false;
  if (pre.value("type", "") == "ByteLevel") return pre.value("add_prefix_space", false) == false;
  if (pre.value("type", "") == "Sequence" && pre.contains("pretokenizers") && pre["pretokenizers"].size() == 1)
    return is_byte_level(pre["pretokenizers"][0]);
  return false;
}

std::unique_ptr<ByteBpeTokenizer> from_tokenizer_json(const std::string& path) {
  const auto j = read_json_object_file(path);
  if (!j.contains("model") || j["model"].value("type", "") != "BPE")
    throw DataError(path + ": model.type is not \"BPE\" (only GPT-2's byte-level BPE is supported)");
  if (!is_byte_level(j.value("pre_tokenizer", nlohmann::json())))
    throw DataError(path + ": pre_tokenizer is not GPT-2's ByteLevel (without a prefix space): "
                    "another tokenizer family, not supported");
  auto vocab = vocab_in_id_order(j["model"].value("vocab", nlohmann::json()), path + " model.vocab");
  std::vector<std::pair<std::string, std::string>> merges;
  for (const auto& m : j["model"].value("merges", nlohmann::json::array())) {
    if (m.is_string()) merges.push_back(split_merge(m.get<std::string>(), path));
    else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) merges.emplace_back(m[0], m[1]);
    else throw DataError(path + ": a merge is neither \"a b\" nor [\"a\", \"b\"]");
  }
  std::vector<std::string> special;
  for (const auto& t : j.value("added_tokens", nlohmann::json::array())) {
    const auto content = t.value("content", std::string());
    const auto id = t.value("id", int64_t{-1});
    if (id == static_cast<int64_t>(vocab.size())) vocab.push_back(content);  // appended past the model's
    else if (id < 0 || id > static_cast<int64_t>(vocab.size()) || vocab[id] != content)
      throw DataError(path + ": added token '" + content + "' has id " + std::to_string(id) +
                      ", which does not follow the vocabulary");
    special.push_back(content);
  }
  return std::make_unique<ByteBpeTokenizer>(std::move(vocab), std::move(merges), std::move(special));
}

}  // namespace

std::unique_ptr<ByteBpeTokenizer> ByteBpeTokenizer::from_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  if (fs::exists(fs::path(dir) / "vocab.json") && fs::exists(fs::path(dir) / "merges.txt"))
    return from_vocab_and_merges(dir);
  if (fs::exists(fs::path(dir) / "tokenizer.json")) return from_tokenizer_json((fs::path(dir) / "tokenizer.json").string());
  throw PathError(dir + ": no tokenizer (expected vocab.json + merges.txt, or tokenizer.json)");
}

std::unique_ptr<ByteBpeTokenizer> ByteBpeTokenizer::from_json(const nlohmann::json& j) {
  if (j.value("format", 0) != kGpt2Format)
    throw DataError("tokenizer json: gpt2 format " + j.value("format", nlohmann::json()).dump() + " is unknown (expected " +
                    std::to_string(kGpt2Format) + ")");
  std::vector<std::pair<std::string, std::string>> merges;
  for (const auto& m : j.at("merges")) merges.push_back(split_merge(m.get<std::string>(), "tokenizer json"));
  return std::make_unique<ByteBpeTokenizer>(j.at("vocab").get<std::vector<std::string>>(), std::move(merges),
                                            j.value("special", std::vector<std::string>()));
}

}  // namespace localist::data
