// localist eval: perplexity and top-1 accuracy over a full held-out split, causal (unless the
// model is a leaking one or --no-causal-mask asks for the leaking protocol, loudly labelled).
#include <cstdio>
#include <iostream>
#include <regex>

#include "commands.h"
#include "opened_checkpoint.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/metrics/checkpoint_eval.h"
#include "localist/report/eval_json.h"

namespace localist::app {

namespace {
struct EvalArgs {
  std::string checkpoint;
  std::string split = "test";
  std::string data, train_file, valid_file, test_file;
  int64_t batch_size = 8;
  int64_t max_tokens = 0;
  bool json = false;
  bool leak = false;  // --no-causal-mask
  bool flash = false;  // --flash-attention
  InferenceArgs run;  // device, threads, localist overrides
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
  cmd->add_option("--batch-size", a->batch_size, "windows per batch")->capture_default_str();
  cmd->add_option("--max-tokens", a->max_tokens, "score only the first N predictions (0 = all)");
  add_device_options(*cmd, a->run.device, a->run.threads);
  cmd->add_flag("--json", a->json, "print one JSON object");
  cmd->add_flag("--flash-attention", a->flash,
                "attention and its metrics flash-style (nothing T x T: long contexts in O(T) memory); "
                "the block-mass matrix is then not measured");
  cmd->add_flag("--no-causal-mask", a->leak,
                "LEAKING protocol: let every position see the tokens after it (position t reads "
                "the token it predicts); only to show what such numbers mean");
  add_localist_options(*cmd, a->run.localist);
  cmd->callback([a, cmd] {
    auto c = open_checkpoint(a->checkpoint, *cmd, a->run);
    auto& lm = c.lm;
    const auto device = c.device;
    if (a->leak) lm.model->set_causal(false);
    const bool causal = lm.model->cfg.causal;
    DataConfig data_cfg = data_to_evaluate(lm.meta.data, a->data);
    if (!a->train_file.empty()) data_cfg.train_file = a->train_file;
    if (!a->valid_file.empty()) data_cfg.valid_file = a->valid_file;
    if (!a->test_file.empty()) data_cfg.test_file = a->test_file;
    auto run_data = checkpoint_run_data(a->checkpoint, lm, data_cfg);
    const auto& tokens = split_tokens(run_data, a->split);
    const LocalistConfig& lc = c.localist;
    const auto ev = evaluate_checkpoint(lm, tokens, lc, a->batch_size, a->max_tokens, device, a->flash);
    const auto& r = ev.lm;
    const auto& am = ev.attention;
    if (a->json) {
      auto j = eval_json(ev, lc, causal, a->flash);
      j.update({{"split", a->split}, {"data", run_data.description}, {"checkpoint", a->checkpoint},
                {"step", lm.meta.step}});
      std::cout << j.dump() << "\n";
    } else {
      std::printf("data:\n  %s\n%s split: %lld tokens scored | perplexity %.4f | accuracy %.2f%% | "
                  "nll %.4f nats/token | %s\n",
                  std::regex_replace(run_data.description, std::regex("\n"), "\n  ").c_str(),
                  a->split.c_str(), static_cast<long long>(r.tokens), r.perplexity,
                  100 * r.accuracy, r.nll, causal ? "causal" : kLeakWarning);
      std::printf("attention (blocks %s, lambda %.2f, kappa %s): entropy %.3f bits (max-entropy "
                  "reference %.3f) | pointer fidelity %.4f | block fidelity %.4f\n",
                  lc.blocks.c_str(), lc.lambda, nlohmann::json(lc)["kappa"].dump().c_str(),
                  am.entropy_bits, am.max_entropy_bits, am.pointer_fidelity, am.block_fidelity);
    }
  });
}

}  // namespace localist::app
