// GPT-2 in and out, checked against the real clients: a small GPT-2 trained and saved by
// `transformers` (tests/python/hf_gpt2.py) is imported (import-hf); our logits equal theirs and
// our eval perplexity equals the one transformers computes on the same windows; the model is
// fine-tuned with the dial, swept and explained, exported (export-hf), and loaded by
// transformers again, whose logits equal ours at lambda 0; Python's safetensors opens every
// checkpoint file we wrote. Bad directories are refused with the file named.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_run.h"
#include "localist/core/safetensors.h"
#include "localist/core/temp_dir.h"
#include "localist/data/corpus.h"
#include "localist/run/checkpoint.h"

namespace localist {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_cli;

testing::CliResult hf_gpt2(const std::string& args) { return testing::run_python_script("hf_gpt2.py", args); }

bool python_has_transformers() { return testing::python_imports("transformers, tokenizers, safetensors"); }

// Our logits on each reference window against the ones in `file` (from transformers).
double max_logit_difference(const std::string& run, const json& windows, const std::string& file, double lambda0 = 0) {
  auto lm = load_model(run, torch::kCPU);
  const auto theirs = load_safetensors(file);
  double worst = 0;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < windows.size(); ++i) {
    const auto ids = windows[i].get<std::vector<int64_t>>();
    const auto ours = lm.model->forward(torch::tensor(ids).unsqueeze(0)).logits[0];
    worst = std::max(worst, (ours - theirs.at("logits" + std::to_string(i))).abs().max().item<double>());
  }
  return worst;
}

class HfGpt2 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!python_has_transformers()) return;
    dir_ = new TempDir("localist_hf");
    const auto r = hf_gpt2("make " + dir_->file("made"));
    ASSERT_EQ(r.code, 0) << r.output;
    std::cout << r.output.substr(r.output.rfind("hf_gpt2 make")) ;
  }
  static void TearDownTestSuite() { delete dir_; }
  void SetUp() override {
    if (!python_has_transformers()) GTEST_SKIP() << LOCALIST_PYTHON << " lacks transformers (scripts/setup_python.sh installs it)";
  }
  static std::string made(const std::string& p) { return dir_->file("made") + "/" + p; }
  static TempDir* dir_;
};
TempDir* HfGpt2::dir_ = nullptr;

TEST_F(HfGpt2, RoundTripWithTransformers) {
  const auto reference = json::parse(data::read_text_file(made("reference.json")));
  const auto run = dir_->file("run");
  auto r = run_cli("import-hf " + made("hf") + " --out " + run);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("activation gelu_tanh"), std::string::npos) << r.output;
  // the same logits as transformers on the same tokens
  const double imported = max_logit_difference(run, reference["windows"], made("reference_logits.safetensors"));
  EXPECT_LE(imported, 1e-4);
  // the same perplexity on the same windows of the test split
  r = run_cli("eval " + run + " --data " + made("data") + " --split test --json --device cpu");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto e = json::parse(r.output);
  EXPECT_EQ(e["tokens"], reference["predictions"]);
  const double theirs = reference["perplexity"].get<double>();
  EXPECT_NEAR(e["perplexity"].get<double>(), theirs, 1e-4 * theirs);
  std::cout << "[ hf ] perplexity ours " << e["perplexity"] << ", transformers " << theirs << "\n";

  // the imported run itself: explained, and swept on data given with the sweep
  r = run_cli("explain " + run + " --text 'My lord fears the war.' --json --device cpu");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(json::parse(r.output)["n_layer"], 2);
  r = run_cli("sweep --protocol inference --checkpoint " + run + " --data " + made("data") +
              " --lambdas 0,1 --max-tokens 300 --device cpu --out " + dir_->file("sweep_imported"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("tokenizer gpt2"), std::string::npos) << r.output;
  const auto imported_sweep = json::parse(data::read_text_file(dir_->file("sweep_imported") + "/sweep.json"));
  ASSERT_EQ(imported_sweep["rows"].size(), 2u);
  EXPECT_EQ(imported_sweep["rows"][0]["tokens"], 300);

  r = run_cli("threshold " + run + " --data " + made("data") + " --max-tokens 300 --json --device cpu");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(json::parse(r.output)["lipschitz_max"].size(), 2u);
  r = run_cli("generate " + run + " --prompt 'The king' -n 8 --temperature 0 --device cpu");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("The king", 0), 0u) << r.output;

  // fine-tuned with the dial, swept and explained
  const auto ft = dir_->file("ft");
  r = run_cli("train --init-from " + run + " --data " + made("data") + " --blocks segment --lambda 0.5 --max-steps 20 "
              "--eval-interval 20 --batch-size 4 --device cpu --threads 1 --out " + ft);
  ASSERT_EQ(r.code, 0) << r.output;
  r = run_cli("sweep --protocol inference --checkpoint " + ft + " --lambdas 0:1:0.5 --max-tokens 300 --device cpu --out " +
              dir_->file("sweep"));
  ASSERT_EQ(r.code, 0) << r.output;
  const auto sweep = json::parse(data::read_text_file(dir_->file("sweep") + "/sweep.json"));
  ASSERT_EQ(sweep["rows"].size(), 3u);
  EXPECT_LT(sweep["rows"][0]["block_fidelity"].get<double>(), sweep["rows"][2]["block_fidelity"].get<double>());
  r = run_cli("explain " + ft + " --text 'The king speaks of honour.' --json --device cpu");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_GT(json::parse(r.output)["per_token"].size(), 3u);

  // exported: transformers loads it, and its logits are ours at lambda 0
  const auto exported = dir_->file("exported");
  r = run_cli("export-hf " + ft + " --out " + exported);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("a stock GPT-2 runs it without the dial"), std::string::npos) << r.output;
  const auto windows = dir_->file("windows.json");
  std::ofstream(windows) << reference["windows"].dump();
  r = hf_gpt2("logits " + exported + " " + windows + " " + dir_->file("exported_logits.safetensors"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("GPT2LMHeadModel"), std::string::npos) << r.output;
  const double exported_diff = max_logit_difference(ft, reference["windows"], dir_->file("exported_logits.safetensors"));
  EXPECT_LE(exported_diff, 1e-4);
  std::cout << "[ hf ] max |logit difference|: imported " << imported << ", exported " << exported_diff << "\n";

  // Python's safetensors opens every file we wrote
  r = hf_gpt2("open " + run + "/checkpoint/model.safetensors " + ft + "/checkpoint/model.safetensors " + ft +
              "/checkpoint/optimizer.safetensors " + exported + "/model.safetensors");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("optimizer.safetensors: "), std::string::npos) << r.output;
}

// GPT-2's tokenizer trains models from scratch too, read from Hugging Face's files; an imported
// run without data says how to give it some.
TEST_F(HfGpt2, TheGpt2TokenizerTrainsFromScratchAndImportedRunsAskForData) {
  const auto run = dir_->file("scratch");
  auto r = run_cli("train --tokenizer gpt2 --tokenizer-files " + made("hf") + " --data " + made("data") +
                   " --n-layer 1 --n-head 2 --n-embd 16 --context 32 --batch-size 4 --max-steps 5 --eval-interval 5 "
                   "--device cpu --threads 1 --out " + run);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find(" (gpt2) on "), std::string::npos) << r.output;
  r = run_cli("train --tokenizer gpt2 --data " + made("data") + " --max-steps 5 --out " + dir_->file("nofiles"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--tokenizer-files"), std::string::npos) << r.output;
  const auto imported = dir_->file("imported_nodata");
  ASSERT_EQ(run_cli("import-hf " + made("hf") + " --out " + imported).code, 0);
  r = run_cli("eval " + imported + " --device cpu");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("give --data"), std::string::npos) << r.output;
}

// A copy of the made model directory with one change.
std::string altered(TempDir& dir, const std::string& from, const std::string& name,
                    const std::function<void(const fs::path&)>& change) {
  const fs::path to = dir.file(name);
  fs::copy(from, to, fs::copy_options::recursive);
  change(to);
  return to.string();
}

TEST_F(HfGpt2, BadDirectoriesAreRefusedNamingTheFile) {
  TempDir tmp("localist_hf_bad");
  auto expect_error = [&](const std::string& dir, const std::string& needle) {
    const auto r = run_cli("import-hf " + dir + " --out " + tmp.file("out"));
    EXPECT_NE(r.code, 0) << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << needle << "\n" << r.output;
    EXPECT_FALSE(fs::exists(tmp.file("out") + "/checkpoint/model.safetensors"));
  };
  const auto src = made("hf");
  expect_error(altered(tmp, src, "pickle", [](const fs::path& d) {
                 fs::rename(d / "model.safetensors", d / "pytorch_model.bin");
               }), "pytorch_model.bin: weights stored as a Python pickle");
  auto edit_config = [&](const std::string& name, const std::string& key, const json& value) {
    return altered(tmp, src, name, [&](const fs::path& d) {
      auto c = json::parse(data::read_text_file((d / "config.json").string()));
      c[key] = value;
      std::ofstream(d / "config.json") << c.dump();
    });
  };
  expect_error(edit_config("llama", "model_type", "llama"), "model_type = 'llama'");
  expect_error(edit_config("wide", "n_embd", 64), "do not belong together");
  expect_error(edit_config("huge", "n_layer", 100000), "n_layer = 100000");  // beyond any GPT-2
  expect_error(edit_config("deep", "n_layer", 1000), "do not belong together");  // refused before allocating
  expect_error(edit_config("eps", "layer_norm_epsilon", 1e-6), "layer_norm_epsilon");
  expect_error(altered(tmp, src, "no_tokenizer", [](const fs::path& d) { fs::remove(d / "merges.txt"); }),
               "no tokenizer");
  expect_error(tmp.file("nothing"), "not a directory");
}

}  // namespace
}  // namespace localist
