// localist eval: perplexity and top-1 accuracy over a full held-out split (always causal).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <regex>

#include "commands.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/metrics/perplexity.h"
#include "localist/train/checkpoint.h"
#include "localist/train/run_data.h"

namespace localist::app {

namespace {
struct EvalArgs {
  std::string checkpoint;
  std::string split = "test";
  std::string data, train_file, valid_file, test_file;
  std::string device = "auto";
  int64_t batch_size = 8;
  int64_t max_tokens = 0;
  int64_t threads = 0;
  bool json = false;
};
}  // namespace

void add_eval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "perplexity and accuracy of a checkpoint on a held-out split");
  auto a = std::make_shared<EvalArgs>();
  cmd->add_option("checkpoint", a->checkpoint, "run or checkpoint directory")->required();
  cmd->add_option("--split", a->split, "valid | test")->capture_default_str()
      ->check(CLI::IsMember({"valid", "test"}));
  cmd->add_option("--data", a->data, "evaluate on other data (default: the run's)");
  cmd->add_option("--train-file", a->train_file, "override the train split file");
  cmd->add_option("--valid-file", a->valid_file, "override the validation split file");
  cmd->add_option("--test-file", a->test_file, "override the test split file");
  cmd->add_option("--device", a->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_option("--batch-size", a->batch_size, "windows per batch")->capture_default_str();
  cmd->add_option("--max-tokens", a->max_tokens, "score only the first N predictions (0 = all)");
  cmd->add_option("--threads", a->threads, "CPU threads (0 = measured default)");
  cmd->add_flag("--json", a->json, "print one JSON object");
  cmd->callback([a] {
    set_threads(a->threads);
    const auto device = resolve_device(a->device);
    auto lm = load_model(a->checkpoint, device);
    DataConfig dcfg = lm.meta.data;
    if (!a->data.empty()) {  // other data: only the tokenizer kind carries over
      DataConfig other;
      other.source = a->data;
      other.tokenizer = dcfg.tokenizer;
      dcfg = other;
    }
    if (!a->train_file.empty()) dcfg.train_file = a->train_file;
    if (!a->valid_file.empty()) dcfg.valid_file = a->valid_file;
    if (!a->test_file.empty()) dcfg.test_file = a->test_file;
    const auto cache = (std::filesystem::path(find_checkpoint_dir(a->checkpoint)).parent_path() /
                        "tokens").string();
    auto rd = prepare_run_data(dcfg, cache, &lm.meta.tokenizer);
    const auto& tokens = a->split == "test" ? rd.test : rd.valid;
    auto r = evaluate(lm.model, tokens, a->batch_size, device, a->max_tokens);
    if (a->json) {
      nlohmann::json j = {{"perplexity", r.perplexity}, {"accuracy", r.accuracy},
                          {"tokens", r.tokens},         {"nll_nats", r.nll},
                          {"split", a->split},          {"data", rd.description},
                          {"checkpoint", a->checkpoint}, {"step", lm.meta.step},
                          {"causal", true}};
      std::cout << j.dump() << "\n";
    } else {
      std::printf("data:\n  %s\n%s split: %lld tokens scored | perplexity %.4f | accuracy %.2f%% | "
                  "nll %.4f nats/token | causal\n",
                  std::regex_replace(rd.description, std::regex("\n"), "\n  ").c_str(),
                  a->split.c_str(), static_cast<long long>(r.tokens), r.perplexity,
                  100 * r.accuracy, r.nll);
    }
  });
}

}  // namespace localist::app
