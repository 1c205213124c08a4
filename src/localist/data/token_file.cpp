#include "localist/data/token_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "localist/core/atomic_file.h"
#include "localist/core/errors.h"
#include "localist/data/hash.h"

namespace localist::data {
namespace {

// Token data is written and mapped in host order; the format is little endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "token files assume a little-endian host");

constexpr char kMagic[8] = {'L', 'C', 'L', 'T', 'O', 'K', '0', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 40;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t reserved;
  int64_t count;
  int64_t vocab_size;
  uint64_t key;
};
static_assert(sizeof(Header) == kHeaderBytes, "header must be packed as documented");

// DataError if any token is outside [0, vocab): such a file would crash the embedding lookup.
void check_tokens(const int32_t* data, int64_t n, int64_t vocab, const std::string& where) {
  for (int64_t i = 0; i < n; ++i)
    if (data[i] < 0 || data[i] >= vocab)
      throw DataError(where + ": token " + std::to_string(data[i]) + " at position " +
                      std::to_string(i) + " outside the vocabulary [0, " + std::to_string(vocab) +
                      ")");
}

}  // namespace

void write_token_file(const std::string& path, const std::vector<int32_t>& tokens,
                      int64_t vocab_size, uint64_t key) {
  if (vocab_size <= 0)
    throw DataError("token file '" + path + "': vocab_size = " + std::to_string(vocab_size) +
                    ", expected > 0");
  check_tokens(tokens.data(), static_cast<int64_t>(tokens.size()), vocab_size,
               "token file '" + path + "'");
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kVersion;
  h.count = static_cast<int64_t>(tokens.size());
  h.vocab_size = vocab_size;
  h.key = key;
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(&h), sizeof h);
    out.write(reinterpret_cast<const char*>(tokens.data()),
              static_cast<std::streamsize>(tokens.size() * sizeof(int32_t)));
  });
}

TokenFile TokenFile::open(const std::string& path) {
  const std::string where = "token file '" + path + "'";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw PathError(where + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw PathError(where + ": not a regular file");
  }
  const auto bytes = static_cast<size_t>(st.st_size);
  if (bytes < kHeaderBytes) {
    ::close(fd);
    throw DataError(where + ": truncated (" + std::to_string(bytes) + " bytes, the header alone is " +
                    std::to_string(kHeaderBytes) + ")");
  }
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);  // the mapping keeps the file alive
  if (map == MAP_FAILED) throw PathError(where + ": mmap failed (" + std::strerror(errno) + ")");

  TokenFile f;  // from here on, its destructor unmaps on any error
  f.map_ = map;
  f.map_bytes_ = bytes;
  f.path_ = path;
  Header h;
  std::memcpy(&h, map, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0)
    throw DataError(where + ": not a localist token file (bad magic, expected LCLTOK01)");
  if (h.version != kVersion)
    throw DataError(where + ": version " + std::to_string(h.version) + ", expected " +
                    std::to_string(kVersion));
  if (h.count < 0 || h.vocab_size <= 0)
    throw DataError(where + ": corrupt header (count " + std::to_string(h.count) + ", vocab " +
                    std::to_string(h.vocab_size) + ")");
  const auto expected = static_cast<size_t>(kHeaderBytes + h.count * sizeof(int32_t));
  if (h.count > static_cast<int64_t>(bytes / sizeof(int32_t)) || expected != bytes)
    throw DataError(where + ": header says " + std::to_string(h.count) + " tokens (" +
                    std::to_string(expected) + " bytes) but the file has " + std::to_string(bytes) +
                    " bytes (truncated or corrupt)");
  f.data_ = reinterpret_cast<const int32_t*>(static_cast<const char*>(map) + kHeaderBytes);
  f.size_ = h.count;
  f.vocab_size_ = h.vocab_size;
  f.key_ = h.key;
  check_tokens(f.data_, f.size_, f.vocab_size_, where);
  return f;
}

TokenFile TokenFile::from_tokens(std::vector<int32_t> tokens, int64_t vocab_size) {
  if (vocab_size <= 0)
    throw DataError("tokens: vocab_size = " + std::to_string(vocab_size) + ", expected > 0");
  check_tokens(tokens.data(), static_cast<int64_t>(tokens.size()), vocab_size, "tokens");
  TokenFile f;
  f.owned_ = std::move(tokens);
  f.data_ = f.owned_.data();
  f.size_ = static_cast<int64_t>(f.owned_.size());
  f.vocab_size_ = vocab_size;
  f.path_ = "(memory)";
  return f;
}

TokenFile::TokenFile(TokenFile&& other) noexcept { *this = std::move(other); }

TokenFile& TokenFile::operator=(TokenFile&& other) noexcept {
  if (this == &other) return *this;
  release();
  map_ = std::exchange(other.map_, nullptr);
  map_bytes_ = std::exchange(other.map_bytes_, 0);
  owned_ = std::move(other.owned_);  // a moved vector keeps its buffer, so data_ stays valid
  data_ = std::exchange(other.data_, nullptr);
  size_ = std::exchange(other.size_, 0);
  vocab_size_ = std::exchange(other.vocab_size_, 0);
  key_ = std::exchange(other.key_, 0);
  path_ = std::move(other.path_);
  other.owned_.clear();
  return *this;
}

TokenFile::~TokenFile() { release(); }

void TokenFile::release() {
  if (map_ != nullptr) ::munmap(map_, map_bytes_);
  map_ = nullptr;
  map_bytes_ = 0;
}

uint64_t token_cache_key(const std::string& text, const Tokenizer& tok) {
  char len[8];
  uint64_t n = text.size();
  for (char& b : len) b = static_cast<char>(n & 0xFF), n >>= 8;
  uint64_t h = fnv1a64(std::string_view(len, sizeof len));
  h = fnv1a64(text, h);
  return fnv1a64(tok.to_json().dump(), h);
}

TokenFile cached_tokens(const std::string& cache_path, const std::string& text,
                        const Tokenizer& tok) {
  const uint64_t key = token_cache_key(text, tok);
  try {
    TokenFile f = TokenFile::open(cache_path);
    if (f.key() == key && f.vocab_size() == tok.vocab_size()) return f;
  } catch (const PathError&) {  // not there yet
  } catch (const DataError&) {  // corrupt: rebuild it
  }
  const auto parent = std::filesystem::path(cache_path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw PathError("cache directory '" + parent.string() + "': cannot create (" +
                            ec.message() + ")");
  }
  write_token_file(cache_path, tok.encode(text), tok.vocab_size(), key);
  return TokenFile::open(cache_path);
}

}  // namespace localist::data
