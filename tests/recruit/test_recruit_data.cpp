// Recruitment on data that should give it nothing, and on data that arrive over time, at CI size:
// null topic corpora (one true block; every word's topic shuffled away) recruit nothing; a phased
// corpus trains on each phase in turn and no block holds a topic before its phase has begun;
// --lambda-sample with --recruit gives a recruited checkpoint that moves along the dial.
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "recruit_audit.h"

namespace localist {
namespace {

using json = nlohmann::json;
using testing::accepted;
using testing::audit;
using testing::cli_tmp;
using testing::run_cli;

const std::string kTopicRun =
    "train --tokenizer word --n-layer 1 --n-head 2 --n-embd 32 --block-size 64 --batch-size 16 "
    "--eval-interval 200 --eval-tokens 2000 --device cpu --threads 1 --blocks vocab --lambda 1 --recruit "
    "--recruit-start 100 --recruit-interval 100 --recruit-finetune 50 --recruit-eval-tokens 4000 ";

// Nothing to find: one topic (K* = 1), and the four-topic corpus with every topic word drawn
// regardless of its segment. Two decisions each; none may recruit, and the candidates they did
// score name no more of the model's reading than their permutations do.
TEST(RecruitData, NullCorporaRecruitNothing) {
  const std::pair<const char*, const char*> corpora[] = {
      {"null-k1", "--synth-blocks 1 --topic-cross-rate 0 --synth-seed 7"},
      {"null-shuffled", "--synth-blocks 4 --topic-shuffled --synth-seed 8"}};
  for (const auto& [name, spec] : corpora) {
    const auto corpus = cli_tmp(name), run = corpus + "-run";
    auto g = run_cli("synth --family topics --synth-tokens 60000 --out " + corpus + " " + spec);
    ASSERT_EQ(g.code, 0) << g.output;
    auto t = run_cli(kTopicRun + "--max-steps 200 --data " + corpus + " --out " + run);
    ASSERT_EQ(t.code, 0) << t.output;
    EXPECT_EQ(accepted(run), 0) << name << ": " << t.output;
    for (const auto& d : audit(run))
      if (d.contains("pointer")) {
        EXPECT_LT(d["pointer"]["lo"].get<double>(), 0.05) << name << ": " << d.dump();
      }
  }
  // the truth of a shuffled corpus is one block: there is nothing to find
  std::ifstream in(cli_tmp("null-shuffled") + "/truth.json");
  const auto truth = json::parse(in);
  EXPECT_EQ(truth["blocks"].size(), 1u);
  EXPECT_EQ(truth["spec"]["shuffled"], true);
}

// Topics arrive in two phases (K* = 4: topics 0-1, then 0-3). train --phase trains on each file
// in turn; a decision in phase 1 sees only phase 1's text, so no block holds a word of a topic
// that has not arrived; the block count never passes p_max.
TEST(RecruitData, PhasesArriveInTurnAndBlocksFollowThem) {
  const auto corpus = cli_tmp("phased"), run = corpus + "-run";
  auto g = run_cli("synth --family topics --synth-blocks 4 --synth-tokens 120000 --synth-seed 9 --topic-phases 2 --out " + corpus);
  ASSERT_EQ(g.code, 0) << g.output;
  std::ifstream tin(corpus + "/truth.json");
  const auto truth = json::parse(tin);
  ASSERT_EQ(truth["phases"], 2);
  std::map<std::string, int64_t> phase_of;  // topic word -> the phase its topic arrives in
  for (const auto& b : truth["blocks"])
    for (const auto& w : b["types"]) phase_of[w.get<std::string>()] = b["phase"].get<int64_t>();
  std::ifstream p1(corpus + "/phase-1.txt");
  const std::string first((std::istreambuf_iterator<char>(p1)), std::istreambuf_iterator<char>());
  for (const auto& [word, phase] : phase_of)
    if (phase == 2) {
      EXPECT_EQ(first.find(" " + word + " "), std::string::npos) << word << " in phase 1";
    }
  auto t = run_cli(kTopicRun + "--max-steps 300 --data " + corpus + " --phase " + corpus + "/phase-1.txt:150 --phase " +
                   corpus + "/phase-2.txt:150 --out " + run);
  ASSERT_EQ(t.code, 0) << t.output;
  EXPECT_NE(t.output.find("phase 1 of 2 from step 0"), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("phase 2 of 2 from step 150"), std::string::npos) << t.output;
  const auto log = audit(run);
  ASSERT_GE(log.size(), 3u);  // steps 100, 200, 300 (and again at once after an accept)
  for (const auto& d : log) {
    EXPECT_LE(d.value("blocks_after", d["blocks_before"].get<int64_t>()) - 1, d["p_max"].get<int64_t>());
    if (d["step"].get<int64_t>() > 150 || !d.contains("tokens")) continue;
    std::vector<json> sides{d};
    for (const auto& m : d.value("more_blocks", json::array())) sides.push_back(m);
    for (const auto& side : sides)
      for (const auto& w : side["tokens"])
        EXPECT_NE(phase_of[w.get<std::string>()], 2) << w << " proposed at step " << d["step"] << " before its phase";
  }
  // a resumed phased run picks up the phase of its step
  const auto cut = corpus + "-cut";
  ASSERT_EQ(run_cli(kTopicRun + "--max-steps 300 --data " + corpus + " --phase " + corpus + "/phase-1.txt:150 --phase " +
                    corpus + "/phase-2.txt:150 --stop-at 200 --out " + cut).code, 0);
  auto r = run_cli("train --resume --out " + cut + " --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("phase 2 of 2 from step 200"), std::string::npos) << r.output;
  // a bad phase is one clear error, and no checkpoint
  auto bad = run_cli(kTopicRun + "--max-steps 10 --data " + corpus + " --phase " + corpus + "/phase-1.txt:ten --out " + cut + "-bad");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("config: --phase = "), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("FILE:STEPS"), std::string::npos) << bad.output;
  EXPECT_FALSE(std::ifstream(cut + "-bad/checkpoint/checkpoint.json").good());
  bad = run_cli(kTopicRun + "--max-steps 10 --data " + corpus + " --phase " + corpus + "/nothing.txt:5 --out " + cut + "-bad2");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("nothing.txt"), std::string::npos) << bad.output;
}

// --lambda-sample with --recruit: candidates fine-tuned across the dial and scored at its top;
// the run's checkpoint evaluates at every lambda (finite, and localist where the dial is up).
TEST(RecruitData, LambdaSampleWithRecruitment) {
  const auto corpus = cli_tmp("sampled"), run = corpus + "-run";
  ASSERT_EQ(run_cli("synth --family topics --synth-blocks 2 --synth-tokens 60000 --synth-seed 5 --out " + corpus).code, 0);
  auto t = run_cli(kTopicRun + "--max-steps 200 --lambda-sample 0:1 --data " + corpus + " --out " + run);
  ASSERT_EQ(t.code, 0) << t.output;
  ASSERT_FALSE(audit(run).empty());
  for (const char* lambda : {"0", "0.5", "1"}) {
    auto e = run_cli("eval " + run + " --json --max-tokens 2000 --lambda " + lambda);
    ASSERT_EQ(e.code, 0) << e.output;
    const auto j = json::parse(e.output);
    EXPECT_TRUE(std::isfinite(j["perplexity"].get<double>())) << lambda;
  }
}

}  // namespace
}  // namespace localist
