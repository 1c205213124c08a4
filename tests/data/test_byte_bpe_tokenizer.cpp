// GPT-2's byte-level BPE (data/byte_bpe_tokenizer.h) against Hugging Face `tokenizers` itself:
// a tokenizer trained by `tokenizers` (tests/python/hf_byte_bpe.py) encodes the whole of each
// text identically, token for token, read from GPT-2's files and from tokenizer.json; decoding
// gives the text back byte for byte. The texts: a built-in sample with the cases the pattern
// distinguishes (contractions, digits, punctuation runs, runs of spaces and newlines, accents,
// CJK, emoji, the special token) and, where ../shared holds them, the whole of Tiny Shakespeare
// and of WikiText-2 test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "cli_run.h"
#include "localist/core/errors.h"
#include "localist/core/temp_dir.h"
#include "localist/data/byte_bpe_tokenizer.h"
#include "localist/data/corpus.h"

namespace localist {
namespace {

namespace fs = std::filesystem;
using data::ByteBpeTokenizer;

const char* kSample =
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"
    "I'm sure they'll say it's 'the' end -- we've 3 cats, 42 dogs and 1,000.5 birds!!!   \n"
    "  indented line\twith a tab\r\nand CRLF; café, naïve, Straße, 東京, 😀😀 <|endoftext|>next doc\n"
    " = = Heading = = \n @-@ @,@ 12 @.@ 5 \n\n\n   trailing spaces   ";


std::vector<std::string> texts(const TempDir& dir) {
  const auto sample = dir.file("sample.txt");
  std::ofstream(sample) << kSample;
  std::vector<std::string> out{sample};
  for (const char* shared : {"/../shared/data/tinyshakespeare/input.txt", "/../shared/data/wikitext-2/test.txt"}) {
    const std::string path = std::string(LOCALIST_SOURCE_DIR) + shared;
    if (fs::exists(path)) out.push_back(path);
  }
  return out;
}

std::vector<int32_t> ids_of(const std::string& path) {
  return nlohmann::json::parse(data::read_text_file(path)).get<std::vector<int32_t>>();
}

// Index and neighbourhood of the first difference, to say where the encodings part.
std::string first_difference(const std::vector<int32_t>& ours, const std::vector<int32_t>& theirs,
                             const ByteBpeTokenizer& tok) {
  size_t i = 0;
  while (i < ours.size() && i < theirs.size() && ours[i] == theirs[i]) ++i;
  auto around = [&](const std::vector<int32_t>& v) {
    std::string s;
    for (size_t k = i >= 3 ? i - 3 : 0; k < std::min(v.size(), i + 3); ++k) s += "[" + tok.token_text(v[k]) + "]";
    return s;
  };
  return "first difference at token " + std::to_string(i) + " of " + std::to_string(ours.size()) + "/" +
         std::to_string(theirs.size()) + ": ours " + around(ours) + " theirs " + around(theirs);
}

TEST(ByteBpe, EncodesLikeHuggingFaceTokenizersTokenForToken) {
  if (!testing::python_imports("tokenizers")) GTEST_SKIP() << LOCALIST_PYTHON << " lacks `tokenizers` (scripts/setup_python.sh installs it)";
  TempDir dir("localist_bpe");
  const auto inputs = texts(dir);
  const auto out = dir.file("hf");
  std::string args = out + " 4000";
  for (const auto& t : inputs) args += " " + t;
  const auto r = testing::run_python_script("hf_byte_bpe.py", args);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto from_files = ByteBpeTokenizer::from_directory(out + "/files");
  const auto from_json = ByteBpeTokenizer::from_directory(out + "/json");
  EXPECT_EQ(from_files->vocab(), from_json->vocab());
  EXPECT_EQ(from_files->merges(), from_json->merges());
  int64_t tokens = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto text = data::read_text_file(inputs[i]);
    const auto theirs = ids_of(out + "/ids" + std::to_string(i) + ".json");
    for (const auto* tok : {from_files.get(), from_json.get()}) {
      const auto ours = tok->encode(text);
      EXPECT_TRUE(ours == theirs) << inputs[i] << ": " << first_difference(ours, theirs, *tok);
      EXPECT_EQ(tok->decode(ours), text) << inputs[i];
    }
    tokens += static_cast<int64_t>(theirs.size());
    std::cout << "[ gpt2 bpe ] " << inputs[i] << ": " << text.size() << " bytes, " << theirs.size() << " tokens\n";
  }
  // the special token is one token, cut out before the pattern
  const auto sample = from_files->encode(kSample);
  EXPECT_EQ(std::count(sample.begin(), sample.end(), from_files->encode("<|endoftext|>").at(0)), 1);
  std::cout << "[ gpt2 bpe ] " << inputs.size() << " texts, " << tokens << " tokens identical to tokenizers\n";
}

// A byte-level vocabulary: the 256 byte symbols, plus what merges make.
std::unique_ptr<ByteBpeTokenizer> tiny(std::vector<std::pair<std::string, std::string>> merges) {
  std::vector<std::string> vocab = data::byte_symbols();
  for (const auto& [a, b] : merges) vocab.push_back(a + b);
  vocab.push_back("<|endoftext|>");
  return std::make_unique<ByteBpeTokenizer>(vocab, merges, std::vector<std::string>{"<|endoftext|>"});
}

TEST(ByteBpe, BytesStandForPrintableCharactersAsGpt2Writes) {
  const auto& s = data::byte_symbols();
  ASSERT_EQ(s.size(), 256u);
  EXPECT_EQ(s['a'], "a");
  EXPECT_EQ(s[' '], "\xC4\xA0");   // U+0120 'Ġ'
  EXPECT_EQ(s['\n'], "\xC4\x8A");  // U+010A 'Ċ'
  EXPECT_EQ(s[0], "\xC4\x80");     // U+0100
  EXPECT_EQ(std::set<std::string>(s.begin(), s.end()).size(), 256u);
}

TEST(ByteBpe, MergesApplyByRankAndRoundTripsAreExact) {
  const std::string G = "\xC4\xA0";  // the space's symbol
  auto tok = tiny({{"t", "h"}, {"th", "e"}, {G, "the"}, {"e", "r"}});
  // "the there": "the" | " there" -> the, Ġthe + r + e
  const auto ids = tok->encode("the there");
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(tok->token_text(ids[0]), "the");
  EXPECT_EQ(tok->token_text(ids[1]), " the");
  EXPECT_EQ(tok->token_text(ids[2]), "r");
  EXPECT_EQ(tok->token_text(ids[3]), "e");
  for (const std::string& text : {std::string("x <|endoftext|>y"), std::string("caf\xC3\xA9 \xF0\x9F\x98\x80\n\n  z"),
                                 std::string("")})
    EXPECT_EQ(tok->decode(tok->encode(text)), text);
  EXPECT_EQ(tok->token_text(tok->encode("\xC3\xA9")[0]), "<0xC3>");  // half a character
  EXPECT_THROW(tok->encode("bad \xFF byte"), DataError);
  EXPECT_THROW(tok->decode({static_cast<int32_t>(tok->vocab_size())}), DataError);
  // stored in a checkpoint and read back: the same tokenizer
  const auto again = data::tokenizer_from_json(tok->to_json());
  EXPECT_EQ(again->encode("the there <|endoftext|>"), tok->encode("the there <|endoftext|>"));
}

TEST(ByteBpe, BadFilesAreNamedErrors) {
  TempDir dir("localist_bpe_bad");
  EXPECT_THROW(ByteBpeTokenizer::from_directory(dir.file("none")), PathError);
  const auto d = dir.file("d");
  fs::create_directories(d);
  std::ofstream(d + "/vocab.json") << "{\"a\": 0, \"b\": 5}";
  std::ofstream(d + "/merges.txt") << "#version: 0.2\na b\n";
  try {
    ByteBpeTokenizer::from_directory(d);
    ADD_FAILURE() << "accepted ids with a hole";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("vocab.json"), std::string::npos) << e.what();
  }
  std::ofstream(d + "/vocab.json") << "{\"a\": 0, \"b\": 1}";  // not byte-level: no byte symbols
  EXPECT_THROW(ByteBpeTokenizer::from_directory(d), DataError);
  fs::remove(d + "/vocab.json");
  std::ofstream(d + "/tokenizer.json") << R"({"model": {"type": "WordPiece", "vocab": {}}})";
  try {
    ByteBpeTokenizer::from_directory(d);
    ADD_FAILURE() << "accepted a WordPiece tokenizer";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("model.type"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace localist
