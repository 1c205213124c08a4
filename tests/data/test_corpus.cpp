// Corpus loading: a single file split 90/10 at a line boundary, directories with plain or
// WikiText names, explicit split files overriding the source, the synthetic source, and the
// errors a user meets (missing path, no train split, empty split).
#include <gtest/gtest.h>

#include <filesystem>

#include "localist/core/errors.h"
#include "localist/data/corpus.h"
#include "localist/core/temp_dir.h"

namespace localist::data {
namespace {


std::string numbered_lines(int n, const std::string& tag) {
  std::string text;
  for (int i = 0; i < n; ++i) text += tag + " line " + std::to_string(i) + " of the corpus\n";
  return text;
}

DataConfig config_for(const std::string& source) {
  DataConfig cfg;
  cfg.source = source;
  return cfg;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(Corpus, SingleFileSplitsNinetyTenAtALineBoundary) {
  TempDir dir;
  const std::string text = numbered_lines(200, "doc");
  const auto s = load_splits(config_for(dir.write("input.txt", text)));
  EXPECT_EQ(s.train + s.valid, text);
  EXPECT_EQ(s.train.back(), '\n');
  EXPECT_EQ(s.test, s.valid);
  EXPECT_NEAR(static_cast<double>(s.valid.size()) / text.size(), 0.1, 0.01);
  EXPECT_TRUE(contains(s.description, "same as valid")) << s.description;
}

TEST(Corpus, SplitWithoutNearbyNewlineCutsAtACharacterBoundary) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "\xC3\xA9";  // "é" x 500, no newline at all
  for (double f : {0.1, 0.25, 0.333}) {
    const size_t cut = split_point(text, f);
    EXPECT_EQ(cut % 2, 0u) << "cut inside a 2-byte character at " << cut;
    EXPECT_NEAR(static_cast<double>(text.size() - cut) / text.size(), f, 0.01);
  }
  // A newline far from the cut is ignored; one near it is used.
  std::string far = std::string(10, 'x') + "\n" + std::string(9989, 'y');
  EXPECT_EQ(split_point(far, 0.1), 9000u);
  std::string near = std::string(9010, 'x') + "\n" + std::string(989, 'y');
  EXPECT_EQ(split_point(near, 0.1), 9011u);
}

TEST(Corpus, DirectoryWithTrainValidTest) {
  TempDir dir;
  dir.write("train.txt", numbered_lines(20, "train"));
  dir.write("valid.txt", numbered_lines(5, "valid"));
  dir.write("test.txt", numbered_lines(5, "test"));
  const auto s = load_splits(config_for(dir.path()));
  EXPECT_EQ(s.train, numbered_lines(20, "train"));
  EXPECT_EQ(s.valid, numbered_lines(5, "valid"));
  EXPECT_EQ(s.test, numbered_lines(5, "test"));
  EXPECT_TRUE(contains(s.description, dir / "valid.txt")) << s.description;
}

TEST(Corpus, DirectoryWithWikiTextNames) {
  TempDir dir;
  dir.write("wiki.train.tokens", " = A = \n text <unk> here \n");
  dir.write("wiki.valid.tokens", " valid words \n");
  dir.write("wiki.test.tokens", " test words \n");
  const auto s = load_splits(config_for(dir.path()));
  EXPECT_EQ(s.train, " = A = \n text <unk> here \n");
  EXPECT_EQ(s.valid, " valid words \n");
  EXPECT_EQ(s.test, " test words \n");
}

TEST(Corpus, DirectoryWithoutValidOrTestFallsBack) {
  TempDir dir;
  const std::string train = numbered_lines(100, "train");
  dir.write("train.txt", train);
  const auto s = load_splits(config_for(dir.path()));
  EXPECT_EQ(s.train + s.valid, train);  // valid carved from the tail of train
  EXPECT_FALSE(s.valid.empty());
  EXPECT_EQ(s.test, s.valid);
  EXPECT_TRUE(contains(s.description, "no valid split given")) << s.description;
  EXPECT_TRUE(contains(s.description, "no test split given")) << s.description;
}

TEST(Corpus, DirectoryWithoutTrainIsPathErrorListingTheNames) {
  TempDir dir;
  dir.write("valid.txt", "v\n");
  try {
    load_splits(config_for(dir.path()));
    FAIL() << "expected PathError";
  } catch (const PathError& e) {
    EXPECT_TRUE(contains(e.what(), "train.txt")) << e.what();
    EXPECT_TRUE(contains(e.what(), "wiki.train.tokens")) << e.what();
    EXPECT_TRUE(contains(e.what(), dir.path())) << e.what();
  }
}

TEST(Corpus, ExplicitFilesOverrideTheSource) {
  TempDir dir;
  dir.write("train.txt", numbered_lines(20, "train"));
  dir.write("valid.txt", numbered_lines(5, "valid"));
  dir.write("test.txt", numbered_lines(5, "test"));
  auto cfg = config_for(dir.path());
  cfg.test_file = dir.write("other_test.txt", "other test\n");
  const auto s = load_splits(cfg);
  EXPECT_EQ(s.train, numbered_lines(20, "train"));
  EXPECT_EQ(s.test, "other test\n");
}

TEST(Corpus, OnlyExplicitFilesWithoutValidCarveIt) {
  // The shared-data case: train on WikiText's valid.txt, test on its test.txt.
  TempDir dir;
  const std::string train = numbered_lines(100, "train");
  DataConfig cfg = config_for("");
  cfg.train_file = dir.write("a.txt", train);
  cfg.test_file = dir.write("b.txt", "held out\n");
  const auto s = load_splits(cfg);
  EXPECT_EQ(s.train + s.valid, train);
  EXPECT_EQ(s.test, "held out\n");

  cfg.train_file.clear();
  EXPECT_THROW(load_splits(cfg), ConfigError);
}

TEST(Corpus, MissingPathsArePathErrorsNamingThem) {
  TempDir dir;
  const std::string missing = dir / "nope.txt";
  try {
    load_splits(config_for(missing));
    FAIL() << "expected PathError";
  } catch (const PathError& e) {
    EXPECT_TRUE(contains(e.what(), missing)) << e.what();
  }
  auto cfg = config_for("synthetic");
  cfg.synth_tokens = 1000;
  cfg.valid_file = missing;
  EXPECT_THROW(load_splits(cfg), PathError);
  EXPECT_THROW(read_text_file(missing), PathError);
  EXPECT_THROW(read_text_file(dir.path()), PathError);  // a directory is not a text file
}

TEST(Corpus, EmptySplitsAreDataErrors) {
  TempDir dir;
  const std::string train = dir.write("train.txt", " \n\t\n");
  dir.write("valid.txt", "v\n");
  try {
    load_splits(config_for(dir.path()));
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_TRUE(contains(e.what(), "train split is empty")) << e.what();
    EXPECT_TRUE(contains(e.what(), train)) << e.what();
  }
  EXPECT_THROW(load_splits(config_for(dir.write("empty.txt", ""))), DataError);
  auto cfg = config_for("synthetic");
  cfg.synth_tokens = 1000;
  cfg.valid_fraction = 1.5;
  EXPECT_THROW(load_splits(cfg), ConfigError);
}

TEST(Corpus, SyntheticSplitsComeFromThreeSeeds) {
  auto cfg = config_for("synthetic");
  cfg.synth_tokens = 3000;
  cfg.synth_blocks = 3;
  const auto s = load_splits(cfg);
  EXPECT_EQ(s.train, generate_synthetic(synthetic_split_spec(cfg, "train")).text);
  EXPECT_EQ(s.valid, generate_synthetic(synthetic_split_spec(cfg, "valid")).text);
  EXPECT_EQ(s.test, generate_synthetic(synthetic_split_spec(cfg, "test")).text);
  EXPECT_NE(s.train.substr(0, 200), s.valid.substr(0, 200));
  EXPECT_NE(s.valid.substr(0, 200), s.test.substr(0, 200));
  EXPECT_EQ(synthetic_split_spec(cfg, "train").n_tokens, 3000);
  EXPECT_EQ(synthetic_split_spec(cfg, "valid").n_tokens, 1000);  // max(1000, 3000 / 10)
  EXPECT_EQ(synthetic_split_spec(cfg, "test").seed, cfg.synth_seed + 2);
  EXPECT_EQ(synthetic_split_spec(cfg, "valid").n_blocks, 3);
}

TEST(Corpus, TinyShakespeareSplitsLikeNanoGpt) {
  const std::string path = LOCALIST_SOURCE_DIR "/../shared/data/tinyshakespeare/input.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no shared data at " << path;
  const auto s = load_splits(config_for(path));
  EXPECT_EQ(s.train.size() + s.valid.size(), 1115394u);
  EXPECT_EQ(s.train.rfind("First Citizen:", 0), 0u);
  EXPECT_NEAR(static_cast<double>(s.valid.size()) / 1115394.0, 0.1, 0.005);
}

TEST(Corpus, SharedWikiTextTrainsOnValidWithAWarning) {
  const std::string dir = LOCALIST_SOURCE_DIR "/../shared/data/wikitext-2";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no shared data at " << dir;
  EXPECT_THROW(load_splits(config_for(dir)), PathError);  // it has no train split
  auto cfg = config_for(dir);
  cfg.train_file = dir + "/valid.txt";
  const auto s = load_splits(cfg);
  EXPECT_EQ(s.train, s.valid);
  EXPECT_NE(s.test, s.valid);
  EXPECT_TRUE(contains(s.description, "same file as train")) << s.description;
}

}  // namespace
}  // namespace localist::data
