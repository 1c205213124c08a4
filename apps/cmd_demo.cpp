// localist demo: the main job on the embedded default. Generates the synthetic corpus (known
// ground truth), trains a small model on it, evaluates on the held-out test split and prints
// a table beside two references: the uniform predictor and the oracle (the true process).
#include <cmath>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/core/progress.h"
#include "localist/data/corpus.h"
#include "localist/data/synthetic.h"
#include "localist/metrics/perplexity.h"
#include "localist/model/sampler.h"
#include "localist/train/checkpoint.h"
#include "localist/train/run_data.h"
#include "localist/train/trainer.h"

namespace localist::app {

void add_demo(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "train and evaluate a small model on the embedded synthetic corpus");
  auto req = std::make_shared<TrainRequest>();
  req->run_dir = "runs/demo";
  // Sized to finish in about a minute on 2 CPU cores (docs/results.md has the measurement).
  req->model.n_layer = 2;
  req->model.n_head = 4;
  req->model.n_embd = 64;
  req->model.block_size = 64;
  req->train.batch_size = 16;
  req->train.max_steps = 3000;
  req->train.warmup_steps = 50;
  req->train.lr = 3e-3;
  req->train.eval_interval = 1000;
  req->train.eval_tokens = 5000;
  req->train.log_interval = 250;
  req->data.synth_tokens = 100000;
  cmd->add_option("--out", req->run_dir, "run directory")->capture_default_str();
  add_model_options(*cmd, req->model);
  add_data_options(*cmd, req->data);
  add_train_options(*cmd, req->train);
  cmd->callback([req] {
    if (req->data.source != "synthetic")
      throw ConfigError("demo runs on the embedded synthetic corpus; use `localist train` for --data " +
                        req->data.source);
    auto summary = train(*req);
    const auto device = resolve_device(req->train.device);
    auto lm = load_model(req->run_dir, device);
    auto rd = prepare_run_data(lm.meta.data, req->run_dir + "/tokens", &lm.meta.tokenizer);
    TokenScores scores;
    auto r = evaluate(lm.model, rd.test, 16, device, 0, &scores);

    // Ground truth of the test split: which tokens are echoes (need the anchor) or fillers.
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
    std::printf("\nlocalist demo: synthetic corpus, %lld true blocks, test split (%s tokens, "
                "held out, causal)\n\n",
                static_cast<long long>(spec.n_blocks), format_count(r.tokens).c_str());
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
    SampleOptions so;
    so.max_new_tokens = 40;
    auto ids = sample(lm.model, lm.tokenizer->encode(data::synthetic_anchor(0, 3) + " "), so, device);
    std::printf("\nsample (prompt \"%s\"):\n%s\n", data::synthetic_anchor(0, 3).c_str(),
                lm.tokenizer->decode(ids).c_str());
    std::printf("\nrun directory: %s  (localist eval %s --json | localist generate %s)\n",
                req->run_dir.c_str(), req->run_dir.c_str(), req->run_dir.c_str());
  });
}

}  // namespace localist::app
