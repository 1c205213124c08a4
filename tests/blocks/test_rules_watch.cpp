// Rules hot reload: editing the rules file changes what the audit view reports (blocks,
// targets, fidelities) at the next poll, without touching the weights; a broken edit is
// reported with its line and field and the rules in force stay; `localist chat` announces both.
#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "localist/metrics/text_explain.h"
#include "localist/blocks/rules_watch.h"
#include "localist/run/checkpoint.h"
#include "tiny_run.h"

namespace localist {
namespace {

using json = nlohmann::json;

json block_rules(char letter) {
  json toks = json::array(), anchors = json::array();
  for (int i = 0; i < 12; ++i) {
    toks.push_back(std::string(1, letter) + std::to_string(i));
    const std::string cap(1, static_cast<char>(letter - 'a' + 'A'));
    toks.push_back(cap + std::to_string(i));
    anchors.push_back(cap + std::to_string(i));
  }
  return {{"blocks", json::array({{{"name", std::string("blk_") + letter}, {"tokens", toks}, {"anchors", anchors}}})}};
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string trained_vocab_run(const std::string& dir) {
  write(dir + ".rules.json", block_rules('a').dump());
  auto req = testing::tiny_localist_run(dir);
  req.train.max_steps = 30;
  req.localist.blocks = "vocab";
  req.localist.logit_bias = true;
  req.localist.rules_file = dir + ".rules.json";
  train(req);
  return dir;
}

double weight_checksum(Gpt& model) {
  double s = 0;
  for (const auto& p : model->parameters()) s += p.to(torch::kDouble).abs().sum().item<double>();
  return s;
}

TEST(RulesWatch, AnEditChangesTheAuditAndNotTheWeights) {
  const auto run = trained_vocab_run(testing::cli_tmp("watch_run"));
  auto lm = load_model(run, torch::kCPU);
  const double before = weight_checksum(lm.model);
  const std::string path = testing::cli_tmp("watched.json");
  write(path, block_rules('a').dump());
  RulesWatch watch(lm.meta.localist, path, *lm.tokenizer);
  EXPECT_FALSE(watch.poll().has_value());  // unchanged
  const auto ids = lm.tokenizer->encode("A3 a1 a5 B2 b3 b7");
  auto names = [&] {
    const auto x = explain_text(lm.model, watch.blocks(), Dial::from_config(watch.config()), ids, torch::kCPU);
    std::string s;
    for (const auto& r : x.rows) s += watch.blocks().block_name(r.e.block) + " ";
    return s;
  };
  EXPECT_EQ(names(), "blk_a blk_a blk_a other other other ");

  write(path, block_rules('b').dump());
  auto ev = watch.poll();
  ASSERT_TRUE(ev.has_value());
  EXPECT_TRUE(ev->reloaded) << ev->message;
  EXPECT_EQ(watch.reloads(), 1);
  EXPECT_EQ(names(), "other other other blk_b blk_b blk_b ");
  EXPECT_EQ(weight_checksum(lm.model), before);

  write(path, "{\"blocks\": [{\"name\": 3}]}");  // broken: reported, the b rules stay
  ev = watch.poll();
  ASSERT_TRUE(ev.has_value());
  EXPECT_FALSE(ev->reloaded);
  EXPECT_NE(ev->message.find("blocks[0].name"), std::string::npos) << ev->message;
  EXPECT_EQ(names(), "other other other blk_b blk_b blk_b ");
  EXPECT_FALSE(watch.poll().has_value());  // reported once
}

// The command, driven through a pipe: the file is rewritten only after chat has answered the
// first line (a handshake on its output), so the test does not depend on timing.
TEST(RulesWatch, ChatAnnouncesTheReloadAndExplainsWithTheNewRules) {
  const auto run = trained_vocab_run(testing::cli_tmp("chat_run"));
  const std::string rules = testing::cli_tmp("chat_rules.json"), out = testing::cli_tmp("chat_out.txt");
  write(rules, block_rules('a').dump());
  write(testing::cli_tmp("chat_b.json"), block_rules('b').dump());
  const std::string script =
      "( echo ':explain A3 a1 B2 b3'; "
      "until grep -q '^audit:' " + out + " 2>/dev/null; do sleep 0.05; done; "
      "cp " + testing::cli_tmp("chat_b.json") + " " + rules + "; echo ':explain A3 a1 B2 b3'; echo ':quit' ) | " +
      LOCALIST_BINARY + " chat " + run + " --rules " + rules + " --threads 1 > " + out + " 2>&1";
  ASSERT_EQ(std::system(("bash -c \"" + script + "\"").c_str()), 0);
  std::ifstream in(out);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto reload = text.find("rules reloaded from " + rules);
  ASSERT_NE(reload, std::string::npos) << text;
  EXPECT_NE(text.find("1 a1 blk_a>blk_a"), std::string::npos) << text;            // before
  EXPECT_LT(text.find("1 a1 blk_a>blk_a"), reload) << text;
  EXPECT_NE(text.find("3 b3 blk_b>blk_b", reload), std::string::npos) << text;    // after
  EXPECT_NE(text.find("1 a1 other>other", reload), std::string::npos) << text;
  const auto r = testing::run_cli("chat " + run);  // no rules file to watch
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--rules"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace localist
