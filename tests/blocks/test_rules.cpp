// Rules files: parsing against a tokenizer, what they do to the block layout, and their errors
// (each naming the file, the line and the field).
#include <gtest/gtest.h>

#include <fstream>

#include "localist/core/temp_dir.h"
#include "localist/data/tokenizer.h"
#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/blocks/json_lines.h"
#include "localist/blocks/rules.h"

namespace localist {
namespace {

using nlohmann::json;

// Vocabulary: <unk> <eos> and the words below (word tokenizer).
std::unique_ptr<data::Tokenizer> words() {
  return data::train_tokenizer("word", "x1 x2 y1 y2 Y z\nx1 y1 z\n", 0);
}
torch::Tensor ids(const data::Tokenizer& t, const std::string& text) {
  auto v = t.encode(text);
  return torch::tensor(std::vector<int64_t>(v.begin(), v.end())).view({1, -1});
}
// The error message parse_rules gives for `text`, or "" if it parses.
std::string error_of(const std::string& text, const std::string& kind = "vocab") {
  auto tok = words();
  try {
    parse_rules(json::parse(text), *tok, kind, "r.json", &text);
  } catch (const RulesError& e) {
    return e.what();
  }
  return "";
}

TEST(JsonLines, PointsEveryValueToItsLine) {
  const std::string text = "{\n \"a\": [1,\n   {\"b/c\": \"x\"}],\n \"d\": \"q\\\"\"\n}";
  auto lines = rules::json_lines(text);
  EXPECT_EQ(lines.at(""), 1);
  EXPECT_EQ(lines.at("/a"), 2);
  EXPECT_EQ(lines.at("/a/0"), 2);
  EXPECT_EQ(lines.at("/a/1"), 3);
  EXPECT_EQ(lines.at("/a/1/b~1c"), 3);
  EXPECT_EQ(lines.at("/d"), 4);
  EXPECT_EQ(rules::line_of_offset(text, text.find("\"d\"")), 4);
}

TEST(Rules, VocabClassesTargetsAnchorsAndScalesShapeTheLayout) {
  auto tok = words();
  const json doc = {{"blocks",
                     {{{"name", "x"}, {"tokens", {"x1", "x2"}}, {"anchors", {"x1"}}},
                      {{"name", "y"}, {"patterns", {"^[yY][0-9]*$"}}, {"lambda_scale", 0.5}}}},
                    {"targets", {{"y", "x"}}}};
  LocalistConfig c;
  c.blocks = "vocab";
  c.rules = doc;
  auto map = BlockMap::from_config(c, *tok);
  EXPECT_EQ(map.block_name(0), "other");
  EXPECT_EQ(map.block_name(2), "y");
  //                 x1 y1 Y  z  x2 y2
  auto l = map.layout(ids(*tok, "x1 y1 Y z x2 y2"));
  EXPECT_TRUE(torch::equal(l.block[0], torch::tensor({1, 2, 2, 0, 1, 2}, torch::kLong)));
  EXPECT_TRUE(torch::equal(l.target[0], torch::tensor({1, 1, 1, 0, 1, 1}, torch::kLong)));
  // listed anchors (auto mode): only x1, wherever it is
  EXPECT_TRUE(torch::equal(l.is_anchor[0], torch::tensor({1, 0, 0, 0, 0, 0}, torch::kBool)));
  // lambda_scale belongs to the target block: nobody targets y, so every query has scale 1
  EXPECT_TRUE(torch::equal(l.lambda_scale[0], torch::ones({6})));
  c.anchors = "first";  // first of each run instead
  auto first = BlockMap::from_config(c, *tok).layout(ids(*tok, "x1 y1 Y z x2 y2"));
  EXPECT_TRUE(torch::equal(first.is_anchor[0], torch::tensor({1, 1, 0, 1, 1, 1}, torch::kBool)));
}

TEST(Rules, PerBlockScaleScalesTheDialForQueriesTargetingThatBlock) {
  auto tok = words();
  LocalistConfig c;
  c.blocks = "vocab";
  c.rules = {{"blocks", {{{"name", "x"}, {"tokens", {"x1", "x2"}}, {"lambda_scale", 0.25}}}}};
  auto l = BlockMap::from_config(c, *tok).layout(ids(*tok, "x1 z x2"));
  auto bias = dial_bias(l, {1.0, 8.0})[0][0];  // (T, T)
  EXPECT_FLOAT_EQ(bias[2][1].item<float>(), -2.0f);  // x2 (target x) reading z: -1 * 0.25 * 8
  EXPECT_FLOAT_EQ(bias[2][0].item<float>(), 0.0f);   // x2 reading x1: on target
  EXPECT_FLOAT_EQ(bias[1][0].item<float>(), -8.0f);  // z (target other, scale 1) reading x1
}

TEST(Rules, EveryBlockTargetMakesAHubTheDialLeavesBe) {
  auto tok = words();
  LocalistConfig c;
  c.blocks = "vocab";
  c.rules = {{"blocks", {{{"name", "x"}, {"tokens", {"x1", "x2"}}}}}, {"targets", {{"other", "*"}}}};
  auto l = BlockMap::from_config(c, *tok).layout(ids(*tok, "x1 z x2"));
  EXPECT_TRUE(torch::equal(l.target[0], torch::tensor({1, -1, 1}, torch::kLong)));  // z: no one target
  auto bias = dial_bias(l, {1.0, 8.0})[0][0];  // (T, T)
  EXPECT_FLOAT_EQ(bias[1][0].item<float>(), 0.0f);   // z reads x1 freely: a hub
  EXPECT_FLOAT_EQ(bias[2][1].item<float>(), -8.0f);  // x2 still reads only its own block
  EXPECT_FLOAT_EQ(bias[2][0].item<float>(), 0.0f);
  EXPECT_NE(error_of(R"({"blocks": [{"name": "x", "tokens": ["x1"]}], "targets": {"x": "**"}})")
                .find("targets.x"), std::string::npos);
  // "shared": every query with a target may also read "other" (its keys carry no bias)
  c.rules["shared"] = "other";
  auto s = BlockMap::from_config(c, *tok).layout(ids(*tok, "x1 z x2"));
  EXPECT_EQ(s.shared_block, 0);
  auto shared_bias = dial_bias(s, {1.0, 8.0})[0][0];
  EXPECT_FLOAT_EQ(shared_bias[2][1].item<float>(), 0.0f);  // x2 reads z: shared
  EXPECT_TRUE(target_keys(s)[0][2][1].item<bool>());
  EXPECT_FALSE(target_keys(s)[0][1][1].item<bool>());  // z itself has no one target: nothing is "on target"
  EXPECT_NE(error_of(R"({"shared": "other"})", "segment").find("shared"), std::string::npos);
  EXPECT_NE(error_of(R"({"blocks": [{"name": "x", "tokens": ["x1"]}], "shared": "q"})").find("does not exist"),
            std::string::npos);
}

TEST(Rules, ContextTargetReadsTheBlockOfTheSurroundingText) {
  auto tok = words();
  LocalistConfig c;
  c.blocks = "vocab";
  c.rules = {{"blocks", {{{"name", "x"}, {"tokens", {"x1", "x2"}}}, {{"name", "y"}, {"tokens", {"y1", "y2"}}}}},
             {"targets", {{"other", "@context"}, {"x", "@context"}, {"y", "@context"}}},
             {"shared", "other"},
             {"context_window", 3}};
  //                                                  0  1  2  3  4  5  6  7
  auto l = BlockMap::from_config(c, *tok).layout(ids(*tok, "z x1 x2 y1 x1 z y1 y2"));
  // z at 0 sees no listed block: every block (-1); y1 at 3 sits in x's text (x1 x2 y1): reads x;
  // z at 5 (x1 y1 x1 ... window y1 x1 z): x; y1 at 6 (x1 z y1): a tie goes to the block seen last
  EXPECT_TRUE(torch::equal(l.target[0], torch::tensor({-1, 1, 1, 1, 1, 1, 2, 2}, torch::kLong)));
  auto bias = dial_bias(l, {1.0, 8.0})[0][0];  // (T, T)
  EXPECT_FLOAT_EQ(bias[3][3].item<float>(), -8.0f);  // the quoted y1 does not read itself ...
  EXPECT_FLOAT_EQ(bias[3][1].item<float>(), 0.0f);   // ... but its surrounding x text
  EXPECT_FLOAT_EQ(bias[0][0].item<float>(), 0.0f);   // a hub: unbiased
  // a break token ends the text the window looks back over: z after the newline sees no block
  EXPECT_EQ(BlockMap::from_config(c, *tok).layout(ids(*tok, "x1 x2\nz")).target[0][3].item<int64_t>(), 1);
  c.rules["context_breaks"] = {"\n"};
  EXPECT_EQ(BlockMap::from_config(c, *tok).layout(ids(*tok, "x1 x2\nz")).target[0][3].item<int64_t>(), -1);
  // the window is checked, and is a vocab setting
  EXPECT_NE(error_of(R"({"blocks": [{"name": "x", "tokens": ["x1"]}], "context_window": 0})").find("context_window"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"context_window": 4})", "segment").find("vocab"), std::string::npos);
}

TEST(Rules, TargetOffsetReadsThePreviousSegment) {
  auto tok = words();
  LocalistConfig c;  // segment blocks
  c.rules = {{"target_offset", -1}, {"anchors", {"z"}}};
  auto l = BlockMap::from_config(c, *tok).layout(ids(*tok, "x1 z\ny1 z\n"));
  //                                                     x1 z <eos> y1 z <eos>
  EXPECT_TRUE(torch::equal(l.target[0], torch::tensor({-1, -1, -1, 0, 0, 0}, torch::kLong)));
  EXPECT_TRUE(torch::equal(l.is_anchor[0], torch::tensor({0, 1, 0, 0, 1, 0}, torch::kBool)));
}

TEST(Rules, RulesFileIsReadAndStoredDocumentReparses) {
  auto tok = words();
  TempDir dir("rules");
  const auto path = dir.path() + "/r.json";
  std::ofstream(path) << R"({"blocks": [{"name": "x", "tokens": ["x1"]}]})";
  LocalistConfig c;
  c.blocks = "vocab";
  c.rules_file = path;
  json doc;
  auto r = rules_of(c, *tok, &doc);
  EXPECT_EQ(r.block_names, (std::vector<std::string>{"other", "x"}));
  c.rules = doc;
  c.rules_file = "/nonexistent";  // the stored document wins once there is one
  EXPECT_EQ(rules_of(c, *tok).token_block.size(), 1u);
}

TEST(Rules, ErrorsNameFileLineAndField) {
  EXPECT_EQ(error_of("{\"blocks\": [\n {\"name\": \"x\",\n  \"tokens\": [\"x1\", \"nope\"]}]}"),
            "r.json:3: blocks[0].tokens[1]: token \"nope\" is not in the model's vocabulary");
  EXPECT_EQ(error_of("{\"blocks\": [{\"name\": \"x\", \"tokens\": [\"x1\"]}],\n"
                     " \"targets\": {\"x\": \"w\"}}"),
            "r.json:2: targets.x: block \"w\" does not exist (blocks: other, x)");
  EXPECT_EQ(error_of("{\"blocks\": [{\"name\": \"x\", \"tokens\": [\"x1\"],\n \"anchors\": [\"z\"]}]}"),
            "r.json:2: blocks[0].anchors[0]: anchor \"z\" is not one of block \"x\"'s tokens "
            "(an anchor points to its own block)");
  EXPECT_NE(error_of("{\"blocks\": [{\"name\": \"x\", \"tokens\": [\"x1\"]},\n"
                     " {\"name\": \"y\", \"tokens\": [\"x1\"]}]}")
                .find("r.json:2: blocks[1].tokens[0]: token \"x1\" is already in block \"x\""),
            std::string::npos);
  EXPECT_NE(error_of("{\"blocks\": [{\"name\": \"x\", \"tokens\": [\"x1\"], \"lambda_scale\": 2}]}")
                .find("blocks[0].lambda_scale: expected a number in [0, 1], got 2"),
            std::string::npos);
  EXPECT_NE(error_of("{\"blokcs\": []}").find("r.json:1: blokcs: unknown field"), std::string::npos);
  EXPECT_NE(error_of("{\"blocks\": [{\"name\": \"x\", \"patterns\": [\"^q\"]}]}")
                .find("blocks[0].patterns[0]: the pattern matches no token"),
            std::string::npos);
  EXPECT_NE(error_of("{\"blocks\": [{\"name\": \"x\", \"patterns\": [\"(\"]}]}")
                .find("not a valid regular expression"),
            std::string::npos);
  EXPECT_NE(error_of("{\"blocks\": [{\"name\": \"x\", \"tokens\": [\"x1\"]}]}", "segment")
                .find("token classes need blocks vocab"),
            std::string::npos);
  EXPECT_NE(error_of("{}").find("blocks vocab needs a 'blocks' list"), std::string::npos);
}

TEST(Rules, SyntaxErrorNamesTheLineAndVocabWithoutRulesIsAnError) {
  TempDir dir("rules");
  const auto path = dir.path() + "/bad.json";
  std::ofstream(path) << "{\n  \"blocks\": [\n  }\n";
  try {
    read_rules_json(path);
    FAIL() << "no error";
  } catch (const RulesError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ":3: not valid JSON", 0), 0u) << e.what();
  }
  EXPECT_THROW(read_rules_json(dir.path() + "/missing.json"), PathError);
  LocalistConfig c;
  c.blocks = "vocab";
  auto tok = words();
  EXPECT_THROW(BlockMap::from_config(c, *tok), ConfigError);
  c.blocks = "segment";
  c.anchors = "rules";  // asks for listed anchors, none listed
  EXPECT_THROW(BlockMap::from_config(c, *tok), ConfigError);
}

}  // namespace
}  // namespace localist
