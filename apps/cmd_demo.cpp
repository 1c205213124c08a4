// localist demo: the main job on the embedded default, end to end in about three minutes on two
// CPU cores. Generates the synthetic corpus (known ground truth), trains a small model with the
// locality dial on (segment blocks, lambda 1), then shows what the project is for:
//   1. held-out perplexity and accuracy beside the uniform predictor and the exact oracle;
//   2. the dial moved at inference, without retraining: a lambda sweep of attention entropy,
//      block and pointer fidelity, perplexity and accuracy;
//   3. the audit view of one held-out line: which block and anchor each token read.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "localist/report/explain_table.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/core/progress.h"
#include "localist/data/corpus.h"
#include "localist/data/synthetic.h"
#include "localist/metrics/perplexity.h"
#include "localist/metrics/text_explain.h"
#include "localist/model/sampler.h"
#include "localist/report/sweep.h"
#include "localist/run/checkpoint.h"
#include "localist/run/run_data.h"
#include "localist/train/trainer.h"

namespace localist::app {

namespace {

void print_reference_table(const TrainRequest& req, const TrainSummary& summary, LoadedModel& lm,
                           const torch::Device& device) {
  auto run_data = prepare_run_data(lm.meta.data, req.run_dir + "/tokens", &lm.meta.tokenizer);
  const auto blocks = BlockMap::from_config(lm.meta.localist, *lm.tokenizer);
  TokenScores scores;
  const auto r = evaluate(lm.model, run_data.test, 16, device, 0, &scores,
                          {&blocks, Dial::from_config(lm.meta.localist), nullptr});
  // Ground truth of the test split: which tokens are echoes (need the anchor).
  const auto spec = data::synthetic_split_spec(lm.meta.data, "test");
  const auto truth = data::generate_synthetic(spec);
  int64_t echo_n = 0, echo_hit = 0;
  for (int64_t t = 1; t < static_cast<int64_t>(scores.nll.size()) && t < truth.size(); ++t) {
    if (truth.role[t] != data::SyntheticRole::Echo) continue;
    ++echo_n;
    echo_hit += scores.correct[t];
  }
  const double V = static_cast<double>(lm.meta.model.vocab_size);
  const double oracle = data::synthetic_optimal_nll(spec);
  std::printf("\n1. The model: synthetic corpus, %lld true blocks, test split (%s tokens, held out, "
              "causal), at the trained dial (lambda %.1f)\n\n",
              static_cast<long long>(spec.n_blocks), format_count(r.tokens).c_str(), lm.meta.localist.lambda);
  std::printf("| predictor | nll (nats/token) | perplexity | top-1 accuracy | echo accuracy |\n");
  std::printf("|---|---|---|---|---|\n");
  std::printf("| uniform over the %lld-token vocabulary | %.3f | %.2f | %.2f%% | - |\n",
              static_cast<long long>(V), std::log(V), V, 100.0 / V);
  std::printf("| oracle (the true process, exact entropy rate) | %.3f | %.2f | - | 100%% |\n", oracle,
              std::exp(oracle));
  std::printf("| localist GPT, %lld layers, d=%lld, %s params, %lld steps | %.3f | %.2f | %.2f%% | %.2f%% |\n",
              static_cast<long long>(lm.meta.model.n_layer), static_cast<long long>(lm.meta.model.n_embd),
              format_count(summary.params).c_str(), static_cast<long long>(summary.steps), r.nll,
              r.perplexity, 100 * r.accuracy, echo_n ? 100.0 * echo_hit / echo_n : 0.0);
  std::printf("\nEcho tokens (%s of the test tokens) are determined by their segment's anchor: "
              "predicting them\nrequires attending back to it. Training took %s (%s tokens/s on %s).\n",
              format_count(echo_n).c_str(), format_duration(summary.seconds).c_str(),
              format_count(summary.tokens_per_second).c_str(), summary.device.c_str());
}

void print_sweep(const TrainRequest& req, const LoadedModel& lm) {
  SweepConfig cfg;
  cfg.protocol = "inference";
  cfg.checkpoint = req.run_dir;
  cfg.lambdas = {1.0, 0.8, 0.6, 0.4, 0.2, 0.0};
  cfg.localist = lm.meta.localist;
  cfg.device = req.train.device;
  cfg.threads = req.train.threads;
  const std::string dir = req.run_dir + "/sweep";
  std::filesystem::remove_all(dir);  // rows of an earlier demo's model must not be reused
  const auto r = run_sweep(cfg, dir, nullptr);
  std::printf("\n2. The dial moved at inference on the same weights (trained at lambda %.1f; "
              "localist sweep --protocol inference):\n\n%s\n",
              lm.meta.localist.lambda, sweep_markdown(r.header, r.rows).c_str());
  std::printf("Lower lambda lets attention leave the block its rule names (entropy up, fidelity "
              "down); the model is\nbest at the lambda it was trained at. Table also in %s/sweep.md.\n",
              dir.c_str());
}

void print_explanation(LoadedModel& lm, const torch::Device& device) {
  const auto spec = data::synthetic_split_spec(lm.meta.data, "test");
  const std::string& text = data::generate_synthetic(spec).text;
  const auto line_end = text.find('\n');  // the first held-out segment, its newline included
  const auto ids = lm.tokenizer->encode(text.substr(0, line_end == std::string::npos ? 80 : line_end + 1));
  const auto blocks = BlockMap::from_config(lm.meta.localist, *lm.tokenizer);
  const auto explained = explain_text(lm.model, blocks, Dial::from_config(lm.meta.localist), ids, device);
  const auto& mc = lm.meta.model;
  std::printf("\n3. The audit view of the first held-out line (localist explain --summary): per "
              "token, the mean over\n   all heads of where attention went and what was predicted.\n\n");
  print_explain_table({explained, blocks, *lm.tokenizer, ids, every_head(mc.n_layer, mc.n_head), mc.n_layer,
                       mc.n_head, mc.context_length, /*summary=*/true});
}

}  // namespace

void add_demo(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "train with the locality dial on the embedded synthetic corpus, "
                                         "then sweep the dial and explain a held-out line");
  auto req = std::make_shared<TrainRequest>();
  req->run_dir = "runs/demo";
  // Sized to train in under three minutes on 2 CPU cores (docs/results.md has the measurement).
  req->model.n_layer = 2;
  req->model.n_head = 4;
  req->model.n_embd = 64;
  req->model.context_length = 64;
  req->train.batch_size = 16;
  req->train.max_steps = 3000;
  req->train.warmup_steps = 50;
  req->train.lr = 3e-3;
  req->train.eval_interval = 1000;
  req->train.eval_tokens = 5000;
  req->train.log_interval = 250;
  req->data.synth_tokens = 100000;
  req->localist.blocks = "segment";  // on this corpus a segment is a true block
  req->localist.lambda = 1.0;
  cmd->add_option("--out", req->run_dir, "run directory")->capture_default_str();
  add_model_options(*cmd, req->model);
  add_data_options(*cmd, req->data);
  add_train_options(*cmd, req->train);
  add_localist_options(*cmd, req->localist);
  cmd->callback([req] {
    if (req->data.source != "synthetic")
      throw ConfigError("demo runs on the embedded synthetic corpus; use `localist train` for --data " +
                        req->data.source);
    const auto summary = train(*req);
    const auto device = resolve_device(req->train.device);
    auto lm = load_model(req->run_dir, device);
    print_reference_table(*req, summary, lm, device);
    print_sweep(*req, lm);
    print_explanation(lm, device);
    const auto blocks = BlockMap::from_config(lm.meta.localist, *lm.tokenizer);
    SampleOptions so;
    so.max_new_tokens = 40;
    so.blocks = &blocks;  // sampled with the dial the model was trained at
    so.dial = Dial::from_config(lm.meta.localist);
    auto ids = sample(lm.model, lm.tokenizer->encode(data::synthetic_anchor(0, 3) + " "), so, device);
    std::printf("\n4. A sample (prompt \"%s\"):\n%s\n", data::synthetic_anchor(0, 3).c_str(),
                lm.tokenizer->decode(ids).c_str());
    std::printf("\nrun directory: %s  (localist eval %s --json | localist explain %s --text \"...\" | "
                "localist generate %s)\n",
                req->run_dir.c_str(), req->run_dir.c_str(), req->run_dir.c_str(), req->run_dir.c_str());
  });
}

}  // namespace localist::app
