// Tokenizers: exact round trips for each kind, <unk> handling, vocabulary order, JSON
// persistence (what checkpoints rely on), SentencePiece vocabulary limits, and the helpers
// (base64, UTF-8) they stand on.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "localist/core/errors.h"
#include "localist/data/base64.h"
#include "localist/data/corpus.h"
#include "localist/data/sentencepiece_tokenizer.h"
#include "localist/data/tokenizer.h"
#include "localist/data/utf8.h"
#include "localist/data/word_tokenizer.h"

namespace localist::data {
namespace {

// A few KB of English-like lines: enough for SentencePiece to learn merges quickly.
std::string english_like(int lines, uint64_t seed) {
  static const char* words[] = {"the",    "quick",  "brown", "fox",    "jumps",  "over",
                                "lazy",   "dog",    "and",   "then",   "runs",   "away",
                                "from",   "hunter", "who",   "walks",  "slowly", "through",
                                "forest", "while",  "birds", "sing",   "songs",  "of",
                                "morning", "light", "rain",  "falls",  "on",     "river",
                                "stones", "again",  "THE",   "Fox",    "12",     "1999,",
                                "(note)", "end.",   "question?", "yes!"};
  std::mt19937_64 rng(seed);
  std::string text;
  for (int l = 0; l < lines; ++l) {
    const int n = 4 + static_cast<int>(rng() % 9);
    for (int w = 0; w < n; ++w) {
      if (w) text += ' ';
      text += words[rng() % (sizeof words / sizeof *words)];
    }
    text += '\n';
  }
  return text;
}

nlohmann::json reparse(const nlohmann::json& j) { return nlohmann::json::parse(j.dump()); }

TEST(Tokenizer, CharIdsAreSortedBytesAfterUnk) {
  auto tok = train_tokenizer("char", "hello world\n", 0);
  EXPECT_EQ(tok->kind(), "char");
  // distinct bytes: \n ' ' d e h l o r w -> 9, plus <unk>
  EXPECT_EQ(tok->vocab_size(), 10);
  EXPECT_EQ(tok->encode("\n"), std::vector<int32_t>{1});
  EXPECT_EQ(tok->encode(" "), std::vector<int32_t>{2});
  EXPECT_EQ(tok->encode("w"), std::vector<int32_t>{9});
  EXPECT_EQ(tok->decode(tok->encode("hello world\n")), "hello world\n");
  EXPECT_EQ(tok->decode(tok->encode("old\nrow")), "old\nrow");
}

TEST(Tokenizer, CharUnseenBytesBecomeUnk) {
  auto tok = train_tokenizer("char", "abc", 0);
  EXPECT_EQ(tok->encode("azc"), (std::vector<int32_t>{1, 0, 3}));
  EXPECT_EQ(tok->decode({1, 0, 3}), "a\xEF\xBF\xBD" "c");  // <unk> shows as U+FFFD
  EXPECT_EQ(tok->token_text(0), "<unk>");
}

TEST(Tokenizer, CharIsByteLevelForUtf8) {
  const std::string text = "h\xC3\xA9llo \xE2\x9C\x93\n";  // "héllo ✓"
  auto tok = train_tokenizer("char", text, 0);
  EXPECT_EQ(tok->encode(text).size(), text.size());
  EXPECT_EQ(tok->decode(tok->encode(text)), text);
  // A lone non-ASCII byte is shown escaped, so token_text stays valid UTF-8.
  const int32_t c3 = tok->encode("\xC3")[0];
  EXPECT_EQ(tok->token_text(c3), "<0xC3>");
  EXPECT_NO_THROW(nlohmann::json(tok->token_text(c3)).dump());
}

TEST(Tokenizer, WordVocabularyIsByFrequencyThenBytes) {
  auto tok = train_tokenizer("word", "b a b c\nc b <unk> d\n", 0);
  // counts: b 3, c 2, a 1, d 1 (a < d); <unk> is not a word of its own
  ASSERT_EQ(tok->vocab_size(), 6);
  EXPECT_EQ(tok->token_text(0), "<unk>");
  EXPECT_EQ(tok->token_text(1), "\n");
  EXPECT_EQ(tok->token_text(2), "b");
  EXPECT_EQ(tok->token_text(3), "c");
  EXPECT_EQ(tok->token_text(4), "a");
  EXPECT_EQ(tok->token_text(5), "d");
  // unknown words and a literal <unk> share id 0; each newline is <eos>
  EXPECT_EQ(tok->encode("a zebra <unk>\nd"), (std::vector<int32_t>{4, 0, 0, 1, 5}));
  EXPECT_EQ(tok->decode({4, 0, 0, 1, 5}), "a <unk> <unk>\nd");
}

TEST(Tokenizer, WordRoundTripIsExactForNormalisedText) {
  const std::string text = "the cat sat\non the mat\n\nend\n";
  auto tok = train_tokenizer("word", text, 0);
  EXPECT_EQ(tok->decode(tok->encode(text)), text);
  // Extra spaces and tabs are separators only: decode gives the normalised form.
  EXPECT_EQ(tok->decode(tok->encode("  the\tcat   sat \n")), "the cat sat\n");
  EXPECT_EQ(tok->encode("the cat"), tok->encode("the \t cat"));
}

TEST(Tokenizer, WordCapKeepsTheMostFrequent) {
  auto tok = train_tokenizer("word", "x x x y y z\n", 4);  // room for 2 words
  EXPECT_EQ(tok->vocab_size(), 4);
  EXPECT_EQ(tok->encode("x y z"), (std::vector<int32_t>{2, 3, 0}));
  EXPECT_THROW(train_tokenizer("word", "x y\n", 2), ConfigError);
}

TEST(Tokenizer, WordRejectsInvalidUtf8InTraining) {
  // Vocabulary entries become JSON strings in checkpoints: they must be valid UTF-8.
  EXPECT_THROW(train_tokenizer("word", "ok \xFF\xFE bad\n", 0), DataError);
}

TEST(Tokenizer, WordCountsMatchWikiTextConvention) {
  const std::string path = LOCALIST_SOURCE_DIR "/../shared/data/wikitext-2/valid.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no shared data at " << path;
  const std::string text = read_text_file(path);
  auto tok = train_tokenizer("word", text, 0);
  // WikiText-2's published validation size: words plus one <eos> per line.
  EXPECT_EQ(tok->encode(text).size(), 217646u);
  EXPECT_EQ(tok->encode("<unk>")[0], WordTokenizer::kUnk);
}

class SentencePieceKinds : public ::testing::TestWithParam<std::string> {};

TEST_P(SentencePieceKinds, RoundTripIsExactIncludingNewlinesAndUnseenCharacters) {
  const std::string kind = GetParam();
  const std::string train = english_like(400, 7);
  auto tok = train_tokenizer(kind, train, 330);
  EXPECT_EQ(tok->kind(), kind);
  EXPECT_EQ(tok->vocab_size(), 330);  // reachable on this corpus, so met exactly
  EXPECT_EQ(tok->decode(tok->encode(train)), train);
  // Subword pieces were learned: clearly fewer tokens than bytes.
  EXPECT_LT(tok->encode(train).size(), train.size() * 3 / 4) << train.size() << " bytes";
  for (const std::string& s :
       {std::string(" = Heading = \n"), std::string("\n\n  two  spaces\t tab \n"),
        std::string("no trailing newline"), std::string("h\xC3\xA9llo \xE2\x9C\x93 <unk>\n"),
        std::string("")}) {
    EXPECT_EQ(tok->decode(tok->encode(s)), s) << "kind " << kind << " text [" << s << "]";
  }
  // Unseen characters go through byte fallback, never <unk>.
  for (int32_t id : tok->encode("\xE2\x9C\x93")) EXPECT_NE(tok->token_text(id), "<unk>");
  // Each newline is one dedicated token.
  const auto* sp = dynamic_cast<const SentencePieceTokenizer*>(tok.get());
  ASSERT_NE(sp, nullptr);
  EXPECT_EQ(tok->encode("a\nb\n")[tok->encode("a").size()], sp->newline_id());
  EXPECT_EQ(tok->token_text(sp->newline_id()), "\n");
}

TEST_P(SentencePieceKinds, VocabBelowTheMinimumIsConfigErrorNamingIt) {
  try {
    train_tokenizer(GetParam(), english_like(50, 1), 100);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("expected >= "), std::string::npos) << e.what();
  }
}

TEST_P(SentencePieceKinds, VocabAboveWhatTheCorpusSupportsIsSoft) {
  const std::string train = english_like(30, 3);
  auto tok = train_tokenizer(GetParam(), train, 5000);
  EXPECT_GT(tok->vocab_size(), 257);
  EXPECT_LT(tok->vocab_size(), 5000);
  EXPECT_EQ(tok->to_json().at("requested_vocab"), 5000);
  EXPECT_EQ(tok->decode(tok->encode(train)), train);
}

INSTANTIATE_TEST_SUITE_P(Tokenizer, SentencePieceKinds, ::testing::Values("bpe", "unigram"));

TEST(Tokenizer, JsonRebuildsAnIdenticalTokenizerForEveryKind) {
  const std::string train = english_like(200, 11);
  const std::string probe = english_like(20, 12) + "unseen zebra \xC3\xA9\n";
  for (const char* kind : {"char", "word", "bpe", "unigram"}) {
    auto tok = train_tokenizer(kind, train, std::string(kind) == "word" ? 0 : 320);
    auto back = tokenizer_from_json(reparse(tok->to_json()));
    EXPECT_EQ(back->kind(), kind);
    EXPECT_EQ(back->vocab_size(), tok->vocab_size()) << kind;
    EXPECT_EQ(back->encode(probe), tok->encode(probe)) << kind;
    EXPECT_EQ(back->to_json(), tok->to_json()) << kind;
    for (int32_t id = 0; id < tok->vocab_size(); ++id)
      ASSERT_EQ(back->token_text(id), tok->token_text(id)) << kind << " id " << id;
  }
}

TEST(Tokenizer, BadJsonIsDataError) {
  using nlohmann::json;
  EXPECT_THROW(tokenizer_from_json(json::array()), DataError);
  EXPECT_THROW(tokenizer_from_json(json{{"words", json::array()}}), DataError);
  EXPECT_THROW(tokenizer_from_json(json{{"kind", "nope"}}), DataError);
  EXPECT_THROW(tokenizer_from_json(json{{"kind", "word"}}), DataError);
  EXPECT_THROW(tokenizer_from_json(json{{"kind", "word"}, {"words", 3}}), DataError);
  EXPECT_THROW(tokenizer_from_json(json{{"kind", "char"}, {"bytes", {300}}}), DataError);
  EXPECT_THROW(tokenizer_from_json(json{{"kind", "bpe"}, {"model", "!!!!"}}), DataError);
  EXPECT_THROW(tokenizer_from_json(json{{"kind", "bpe"}, {"model", base64_encode("garbage")}}),
               DataError);
}

TEST(Tokenizer, BadIdsAndSettingsAreReported) {
  auto tok = train_tokenizer("word", "a b\n", 0);
  EXPECT_THROW(tok->decode({0, 99}), DataError);
  EXPECT_THROW(tok->decode({-1}), DataError);
  EXPECT_THROW(tok->token_text(4), DataError);
  EXPECT_THROW(train_tokenizer("sentencepiece", "a b\n", 0), ConfigError);
  EXPECT_THROW(train_tokenizer("word", " \n\t\n", 0), DataError);
  EXPECT_THROW(train_tokenizer("char", "", 0), DataError);
}

TEST(DataBase64, MatchesTheStandardAndRoundTrips) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  std::mt19937 rng(5);
  for (size_t n = 0; n < 40; ++n) {
    std::string bytes(n, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng() & 0xFF);
    ASSERT_EQ(base64_decode(base64_encode(bytes)), bytes) << n;
  }
  EXPECT_THROW(base64_decode("Zm9"), DataError);
  EXPECT_THROW(base64_decode("Zm=v"), DataError);
  EXPECT_THROW(base64_decode("Z!9v"), DataError);
}

TEST(DataUtf8, FindsInvalidSequencesAndCharacterStarts) {
  EXPECT_EQ(first_invalid_utf8("plain \xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80"), std::string::npos);
  EXPECT_EQ(first_invalid_utf8("ab\xFF"), 2u);
  EXPECT_EQ(first_invalid_utf8("ab\xC3"), 2u);          // truncated sequence
  EXPECT_EQ(first_invalid_utf8("\xC0\xAF"), 0u);        // overlong '/'
  EXPECT_EQ(first_invalid_utf8("x\xED\xA0\x80"), 1u);   // UTF-16 surrogate
  const std::string s = "a\xE2\x9C\x93z";
  EXPECT_EQ(utf8_char_start(s, 0), 0u);
  EXPECT_EQ(utf8_char_start(s, 2), 1u);
  EXPECT_EQ(utf8_char_start(s, 3), 1u);
  EXPECT_EQ(utf8_char_start(s, 4), 4u);
}

}  // namespace
}  // namespace localist::data
