// The localist flags from the command line: rules files, vocab blocks, info anchors, schedules,
// the inference-time dial and rules swap on one checkpoint, and every bad input a clear error.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace localist {
namespace {

using testing::cli_tmp;
using testing::run_cli;

// CLI11 refuses an option given twice: tests add --log-interval and --synth-tokens themselves.
const char* kLocalistTiny = "--n-layer 2 --n-head 2 --n-embd 16 --block-size 32 --batch-size 4 --max-steps 30 "
                    "--eval-interval 30 --eval-tokens 200 --device cpu ";
const std::string kSmall = std::string(kLocalistTiny) + "--log-interval 30 --synth-tokens 3000 ";

std::string write(const std::string& name, const std::string& text) {
  const auto path = cli_tmp(name);
  std::ofstream(path) << text;
  return path;
}

// Vocab classes of the synthetic corpus: block X's words and its anchors "X0".."X11".
std::string synthetic_rules(const std::string& extra = "") {
  return write("rules" + std::to_string(std::hash<std::string>{}(extra)) + ".json",
               "{\n  \"blocks\": [\n"
               "    {\"name\": \"A\", \"patterns\": [\"^[Aa][0-9]+$\"]},\n"
               "    {\"name\": \"B\", \"patterns\": [\"^[Bb][0-9]+$\"]},\n"
               "    {\"name\": \"C\", \"patterns\": [\"^[Cc][0-9]+$\"]},\n"
               "    {\"name\": \"D\", \"patterns\": [\"^[Dd][0-9]+$\"]}\n  ]" + extra + "\n}\n");
}

nlohmann::json localist_eval_json(const std::string& args) {
  auto r = run_cli("eval " + args + " --json --device cpu");
  EXPECT_EQ(r.code, 0) << r.output;
  return nlohmann::json::parse(r.output.substr(r.output.find('{')));
}

TEST(CliLocalist, VocabRulesTrainAndSwapAtInferenceWithoutRetraining) {
  const auto run = cli_tmp("vocab");
  auto t = run_cli("train " + kSmall + "--blocks vocab --rules " + synthetic_rules() +
                   " --lambda 1 --out " + run);
  ASSERT_EQ(t.code, 0) << t.output;
  auto stored = localist_eval_json(run);
  EXPECT_EQ(stored["blocks"], "vocab");
  EXPECT_GT(stored["block_fidelity"].get<double>(), 0.99);
  // another rules file at inference: block A's queries now read block B; same weights
  const auto swapped = synthetic_rules(",\n  \"targets\": {\"A\": \"B\"}");
  auto other = localist_eval_json(run + " --rules " + swapped);
  // the bias follows the new targets: A's queries now put their mass on block B, which the
  // block fidelity (measured against the swapped targets) shows; without the dial they do not
  EXPECT_GT(other["block_fidelity"].get<double>(), 0.99);
  const auto unbiased = localist_eval_json(run + " --rules " + swapped + " --lambda 0");
  EXPECT_LT(unbiased["block_fidelity"].get<double>(), other["block_fidelity"].get<double>() - 0.2);
  EXPECT_NE(other["block_fidelity"], stored["block_fidelity"]);
  EXPECT_NE(other["attention_entropy_bits"], stored["attention_entropy_bits"]);
  EXPECT_NE(other["perplexity"], stored["perplexity"]);
  // the stored rules are unchanged: evaluating without --rules gives the first numbers again
  EXPECT_EQ(localist_eval_json(run)["perplexity"], stored["perplexity"]);
}

// `eval --flash-attention` (flash-style localist attention: block ids, nothing T x T) gives the
// materialised evaluation's numbers under every dial and block layout, and says which it was.
TEST(CliLocalist, FlashAttentionEvalEqualsTheMaterialisedOne) {
  const auto run = cli_tmp("flash_eval");
  auto t = run_cli("train " + kSmall + "--blocks vocab --rules " + synthetic_rules() + " --lambda 1 --out " + run);
  ASSERT_EQ(t.code, 0) << t.output;
  for (const std::string dial : {"", " --lambda 0.4", " --kappa inf", " --lambda 0", " --blocks window:8"}) {
    SCOPED_TRACE("eval" + dial);
    auto dense = localist_eval_json(run + dial), flash = localist_eval_json(run + dial + " --flash-attention");
    EXPECT_EQ(dense["attention_path"], "materialised");
    EXPECT_EQ(flash["attention_path"], "flash");
    EXPECT_TRUE(flash["block_mass"].is_null());
    EXPECT_EQ(flash["tokens"], dense["tokens"]);
    for (const char* key : {"perplexity", "accuracy", "attention_entropy_bits", "max_entropy_bits",
                            "block_fidelity", "pointer_fidelity"})
      EXPECT_NEAR(flash[key].get<double>(), dense[key].get<double>(), 1e-4) << key;
    EXPECT_EQ(flash["block_excluded_per_head"], dense["block_excluded_per_head"]);
    EXPECT_EQ(flash["pointer_excluded_per_head"], dense["pointer_excluded_per_head"]);
  }
}

TEST(CliLocalist, InfoAnchorsAreChosenAtTrainingAndStored) {
  const auto run = cli_tmp("info");
  auto t = run_cli(std::string("train ") + kLocalistTiny + "--log-interval 30 --synth-tokens 20000 --anchors info:8 --lambda 1 --out " + run);
  ASSERT_EQ(t.code, 0) << t.output;
  EXPECT_NE(t.output.find("anchors (info:8"), std::string::npos) << t.output;
  std::ifstream meta(run + "/checkpoint/checkpoint.json");
  auto j = nlohmann::json::parse(meta);
  ASSERT_EQ(j["localist"]["rules"]["anchors"].size(), 8u);
  for (const auto& a : j["localist"]["rules"]["anchors"])  // the synthetic anchor words
    EXPECT_TRUE(std::isupper(static_cast<unsigned char>(a.get<std::string>()[0]))) << a;
  auto e = localist_eval_json(run);
  EXPECT_GT(e["pointer_fidelity"].get<double>(), 0.0);
}

TEST(CliLocalist, ScheduleIsLoggedAndProgressiveLambdaIsStored) {
  const auto run = cli_tmp("sched");
  auto t = run_cli(std::string("train ") + kLocalistTiny +
                   "--synth-tokens 3000 --log-interval 1 --lambda 0.8 --lambda-ramp 10 --lambda-layer-power 1 --out " + run);
  ASSERT_EQ(t.code, 0) << t.output;
  std::ifstream log(run + "/metrics.jsonl");
  std::string line;
  std::vector<double> lambdas;
  while (std::getline(log, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.value("type", "") == "train" && j.contains("lambda")) lambdas.push_back(j["lambda"]);
  }
  ASSERT_EQ(lambdas.size(), 30u);
  EXPECT_NEAR(lambdas[0], 0.08, 1e-12);
  EXPECT_NEAR(lambdas[4], 0.4, 1e-12);
  EXPECT_NEAR(lambdas[29], 0.8, 1e-12);
  std::ifstream meta(run + "/checkpoint/checkpoint.json");
  EXPECT_EQ(nlohmann::json::parse(meta)["localist"]["lambda_layer_power"], 1.0);
}

TEST(CliLocalist, LeakingProtocolIsLabelledEverywhereAndRefusedWhereItMeansNothing) {
  const auto run = cli_tmp("leak");
  auto t = run_cli("train " + kSmall + "--no-causal-mask --out " + run);
  ASSERT_EQ(t.code, 0) << t.output;
  EXPECT_NE(t.output.find("LEAKING"), std::string::npos) << t.output;
  std::ifstream meta(run + "/checkpoint/checkpoint.json");
  EXPECT_EQ(nlohmann::json::parse(meta)["model"]["causal"], false);
  auto leaky = localist_eval_json(run);
  EXPECT_EQ(leaky["causal"], false);
  EXPECT_NE(leaky["warning"].get<std::string>().find("leak"), std::string::npos);
  auto human = run_cli("eval " + run + " --device cpu");
  EXPECT_NE(human.output.find("NOT CAUSAL"), std::string::npos) << human.output;
  auto sweep = run_cli("sweep --protocol inference --checkpoint " + run + " --lambdas 0,1 --out " +
                       cli_tmp("leak_sweep") + " --device cpu");
  ASSERT_EQ(sweep.code, 0) << sweep.output;
  std::ifstream table(cli_tmp("leak_sweep") + "/sweep.md");
  std::string first;
  std::getline(table, first);
  EXPECT_EQ(first.rfind("LEAKING", 0), 0u) << first;
  for (const std::string& cmd : {"explain " + run + " --text 'A1 a2'", "threshold " + run}) {
    auto r = run_cli(cmd);
    EXPECT_NE(r.code, 0) << cmd;
    EXPECT_NE(r.output.find("trained without the causal mask (bidirectional, leaking)"), std::string::npos) << r.output;
  }
  // a causal checkpoint evaluated the leaking way: labelled, and different numbers
  const auto honest = cli_tmp("honest");
  ASSERT_EQ(run_cli("train " + kSmall + "--out " + honest).code, 0);
  auto causal = localist_eval_json(honest);
  auto leaked = localist_eval_json(honest + " --no-causal-mask");
  EXPECT_EQ(causal["causal"], true);
  EXPECT_FALSE(causal.contains("warning"));
  EXPECT_EQ(leaked["causal"], false);
  EXPECT_NE(leaked["perplexity"], causal["perplexity"]);
}

void expect_localist_error(const std::string& args, const std::string& needle) {
  auto r = run_cli(args);
  EXPECT_NE(r.code, 0) << args;
  EXPECT_NE(r.output.find("localist: error:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << r.output;
}

TEST(CliLocalist, BadLocalistInputIsAClearErrorAndLeavesNoCheckpoint) {
  const std::string train = "train " + kSmall;
  const auto unknown = write("unknown.json",
                             "{\"blocks\": [\n {\"name\": \"A\",\n  \"tokens\": [\"a1\", \"zz9\"]}]}");
  expect_localist_error(train + "--blocks vocab --rules " + unknown + " --out " + cli_tmp("e1"),
               unknown + ":3: blocks[0].tokens[1]: token \"zz9\" is not in the model's vocabulary");
  EXPECT_FALSE(std::ifstream(cli_tmp("e1") + "/checkpoint/checkpoint.json").good());
  expect_localist_error(train + "--blocks vocab --rules " +
                   synthetic_rules(",\n  \"targets\": {\"A\": \"E\"}") + " --out " + cli_tmp("e2"),
               ":8: targets.A: block \"E\" does not exist (blocks: other, A, B, C, D)");
  expect_localist_error(train + "--lambda 1.5 --out " + cli_tmp("e3"), "lambda = 1.5");
  expect_localist_error(train + "--blocks window:0 --out " + cli_tmp("e4"), "window width = 0");
  expect_localist_error(train + "--blocks vocab --out " + cli_tmp("e5"), "vocab needs a rules file");
  expect_localist_error(train + "--anchors info:x --out " + cli_tmp("e6"), "info:x");
  expect_localist_error(train + "--anchors rules --out " + cli_tmp("e7"), "the rules list no anchor tokens");
  expect_localist_error(train + "--blocks vocab --rules " + cli_tmp("missing.json") + " --out " + cli_tmp("e8"),
               "missing.json");
  const auto syntax = write("syntax.json", "{\n  \"blocks\": [\n  }\n");
  expect_localist_error(train + "--blocks vocab --rules " + syntax + " --out " + cli_tmp("e9"),
               syntax + ":3: not valid JSON");
  // at inference, on a good checkpoint
  const auto run = cli_tmp("good");
  ASSERT_EQ(run_cli(train + "--out " + run).code, 0);
  expect_localist_error("eval " + run + " --lambda -0.1", "lambda = -0.1");
  expect_localist_error("eval " + run + " --blocks window:0", "window width = 0");
  expect_localist_error("eval " + run + " --blocks vocab --rules " + unknown, "zz9");
}

}  // namespace
}  // namespace localist
