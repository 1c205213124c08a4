#pragma once
// Tokenised text cached in a binary file and memory-mapped, so a large corpus is tokenised once
// and then costs neither time nor RAM at start-up.
// Layout, little endian: magic "LCLTOK01" (8 bytes), u32 version (1), u32 reserved (0),
// i64 count, i64 vocab_size, u64 key, then count int32 tokens. The key identifies what the
// tokens were made from (see cached_tokens).
#include <cstdint>
#include <string>
#include <vector>

#include "localist/data/tokenizer.h"

namespace localist::data {

// Atomic (PATH.tmp, fsync, rename): a crash never leaves a half-written cache behind.
// DataError if a token lies outside [0, vocab_size); PathError if PATH cannot be written.
void write_token_file(const std::string& path, const std::vector<int32_t>& tokens,
                      int64_t vocab_size, uint64_t key = 0);

// Read-only tokens: a POSIX mmap of a token file, or (from_tokens) an owned vector for text that
// is not worth caching. Movable, not copyable; unmaps on destruction.
class TokenFile {
 public:
  // Validates magic, version, count against the file size and every token against vocab_size:
  // DataError naming the path if corrupt or truncated, PathError if missing or unreadable.
  static TokenFile open(const std::string& path);
  static TokenFile from_tokens(std::vector<int32_t> tokens, int64_t vocab_size);

  TokenFile(TokenFile&& other) noexcept;
  TokenFile& operator=(TokenFile&& other) noexcept;
  TokenFile(const TokenFile&) = delete;
  TokenFile& operator=(const TokenFile&) = delete;
  ~TokenFile();

  int64_t size() const { return size_; }
  int64_t vocab_size() const { return vocab_size_; }
  uint64_t key() const { return key_; }
  const int32_t* data() const { return data_; }
  int32_t operator[](int64_t i) const { return data_[i]; }  // unchecked, like a raw array
  // The file it maps, or "(memory)" for from_tokens: for error messages.
  const std::string& path() const { return path_; }

 private:
  TokenFile() = default;
  void release();

  void* map_ = nullptr;
  size_t map_bytes_ = 0;
  std::vector<int32_t> owned_;
  const int32_t* data_ = nullptr;
  int64_t size_ = 0;
  int64_t vocab_size_ = 0;
  uint64_t key_ = 0;
  std::string path_;
};

// The 64-bit key of `text` under `tok`: FNV-1a over the text's length (8 bytes, little endian),
// the text, then tok.to_json().dump(). The length prefix keeps (text, json) pairs unambiguous;
// the tokenizer's JSON carries a format number, so an encoder change also changes the key.
uint64_t token_cache_key(const std::string& text, const Tokenizer& tok);

// The tokens of `text` under `tok`, cached at cache_path: a file there whose key and vocabulary
// size match is reused as is; a missing, stale or corrupt one is (re)written. Parent directories
// are created.
TokenFile cached_tokens(const std::string& cache_path, const std::string& text,
                        const Tokenizer& tok);

}  // namespace localist::data
