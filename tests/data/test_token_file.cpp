// Token files: the documented binary layout, validation of corrupt or truncated files, safe
// moves of the mapping, and the cache that reuses tokens only while text and tokenizer match.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "localist/core/errors.h"
#include "localist/data/token_file.h"
#include "localist/core/temp_dir.h"

namespace localist::data {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

template <typename T>
T field_at(const std::string& bytes, size_t offset) {
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof v);
  return v;
}

TEST(TokenFile, WritesTheDocumentedLayoutAndMapsItBack) {
  TempDir dir;
  const std::string path = dir / "t.bin";
  const std::vector<int32_t> tokens = {3, 1, 4, 1, 5, 9, 2, 6};
  write_token_file(path, tokens, 10, 0xABCDEF0123456789ull);
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  const std::string raw = read_bytes(path);
  ASSERT_EQ(raw.size(), 40 + 4 * tokens.size());
  EXPECT_EQ(raw.substr(0, 8), "LCLTOK01");
  EXPECT_EQ(field_at<uint32_t>(raw, 8), 1u);   // version
  EXPECT_EQ(field_at<uint32_t>(raw, 12), 0u);  // reserved
  EXPECT_EQ(field_at<int64_t>(raw, 16), 8);    // count
  EXPECT_EQ(field_at<int64_t>(raw, 24), 10);   // vocab
  EXPECT_EQ(field_at<uint64_t>(raw, 32), 0xABCDEF0123456789ull);
  EXPECT_EQ(field_at<int32_t>(raw, 40 + 4 * 5), 9);

  const TokenFile f = TokenFile::open(path);
  EXPECT_EQ(f.size(), 8);
  EXPECT_EQ(f.vocab_size(), 10);
  EXPECT_EQ(f.key(), 0xABCDEF0123456789ull);
  EXPECT_EQ(std::vector<int32_t>(f.data(), f.data() + f.size()), tokens);
  EXPECT_EQ(f[5], 9);
}

TEST(TokenFile, EmptyTokenListIsAValidFile) {
  TempDir dir;
  write_token_file(dir / "e.bin", {}, 5);
  const TokenFile f = TokenFile::open(dir / "e.bin");
  EXPECT_EQ(f.size(), 0);
  EXPECT_EQ(f.vocab_size(), 5);
}

TEST(TokenFile, MovesKeepTheDataValid) {
  TempDir dir;
  write_token_file(dir / "a.bin", {1, 2, 3}, 4);
  write_token_file(dir / "b.bin", {3, 2}, 4);
  TokenFile a = TokenFile::open(dir / "a.bin");
  TokenFile moved(std::move(a));
  EXPECT_EQ(moved.size(), 3);
  EXPECT_EQ(moved[2], 3);
  EXPECT_EQ(a.size(), 0);  // NOLINT: a moved-from file is empty, not dangling
  moved = TokenFile::open(dir / "b.bin");  // unmaps a.bin's mapping
  EXPECT_EQ(moved.size(), 2);
  EXPECT_EQ(moved[0], 3);
  TokenFile mem = TokenFile::from_tokens({7, 8, 9}, 10);
  TokenFile mem2 = std::move(mem);
  EXPECT_EQ(mem2.size(), 3);
  EXPECT_EQ(mem2[1], 8);
  EXPECT_EQ(mem2.path(), "(memory)");
}

TEST(TokenFile, CorruptOrTruncatedFilesAreDataErrors) {
  TempDir dir;
  const std::string path = dir / "t.bin";
  write_token_file(path, {1, 2, 3, 4}, 5);
  const std::string good = read_bytes(path);

  write_bytes(path, good.substr(0, good.size() - 2));  // cut inside the last token
  EXPECT_THROW(TokenFile::open(path), DataError);
  write_bytes(path, good.substr(0, good.size() - 4));  // one whole token missing
  EXPECT_THROW(TokenFile::open(path), DataError);
  write_bytes(path, good.substr(0, 20));  // inside the header
  EXPECT_THROW(TokenFile::open(path), DataError);
  write_bytes(path, good + std::string(4, '\0'));  // trailing bytes: count does not match
  EXPECT_THROW(TokenFile::open(path), DataError);

  std::string bad_magic = good;
  bad_magic[0] = 'X';
  write_bytes(path, bad_magic);
  EXPECT_THROW(TokenFile::open(path), DataError);

  std::string bad_version = good;
  bad_version[8] = 7;
  write_bytes(path, bad_version);
  EXPECT_THROW(TokenFile::open(path), DataError);

  std::string bad_token = good;
  const int32_t big = 99;  // outside the vocabulary of 5
  std::memcpy(bad_token.data() + 40, &big, 4);
  write_bytes(path, bad_token);
  try {
    TokenFile::open(path);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_THROW(TokenFile::open(dir / "missing.bin"), PathError);
  EXPECT_THROW(write_token_file(path, {1, 7}, 5), DataError);  // refuses to write bad tokens
}

TEST(TokenFile, CacheIsReusedWhileTextAndTokenizerMatch) {
  TempDir dir;
  const std::string path = dir / "cache/train.bin";  // parent directory created on demand
  auto tok = train_tokenizer("word", "a b c\n", 0);
  const std::string text = "a b c\nc b a\n";
  {
    const TokenFile f = cached_tokens(path, text, *tok);
    EXPECT_EQ(std::vector<int32_t>(f.data(), f.data() + f.size()), tok->encode(text));
  }
  // Tamper with the cached tokens but keep the key: a reuse returns the tampered tokens,
  // a rewrite would not. This proves the second call did not re-tokenise.
  std::string raw = read_bytes(path);
  const int32_t eos = 1;
  std::memcpy(raw.data() + 40, &eos, 4);
  write_bytes(path, raw);
  EXPECT_EQ(cached_tokens(path, text, *tok)[0], eos);
}

TEST(TokenFile, CacheIsRewrittenWhenTextOrTokenizerChange) {
  TempDir dir;
  const std::string path = dir / "train.bin";
  auto word = train_tokenizer("word", "a b c\n", 0);
  const uint64_t key1 = cached_tokens(path, "a b\n", *word).key();

  const TokenFile f2 = cached_tokens(path, "c c c c\n", *word);
  EXPECT_NE(f2.key(), key1);
  EXPECT_EQ(std::vector<int32_t>(f2.data(), f2.data() + f2.size()), word->encode("c c c c\n"));

  auto chr = train_tokenizer("char", "a b c\n", 0);
  const TokenFile f3 = cached_tokens(path, "c c c c\n", *chr);
  EXPECT_EQ(f3.size(), 8);
  EXPECT_EQ(f3.vocab_size(), chr->vocab_size());
  EXPECT_EQ(std::vector<int32_t>(f3.data(), f3.data() + f3.size()), chr->encode("c c c c\n"));

  EXPECT_NE(token_cache_key("ab", *word), token_cache_key("ab ", *word));
  EXPECT_NE(token_cache_key("ab", *word), token_cache_key("ab", *chr));
}

TEST(TokenFile, CorruptCacheIsRebuilt) {
  TempDir dir;
  const std::string path = dir / "train.bin";
  write_bytes(path, "not a token file at all, just some text");
  auto tok = train_tokenizer("char", "xyz", 0);
  const TokenFile f = cached_tokens(path, "zyx", *tok);
  EXPECT_EQ(std::vector<int32_t>(f.data(), f.data() + f.size()), (std::vector<int32_t>{3, 2, 1}));
}

}  // namespace
}  // namespace localist::data
