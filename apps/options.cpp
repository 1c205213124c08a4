// The command-line names of the config fields, shared by train, eval and demo.
#include "commands.h"
#include "localist/core/errors.h"

namespace localist::app {

void add_model_options(CLI::App& cmd, ModelConfig& m) {
  auto* g = cmd.add_option_group("model");
  g->add_option("--n-layer", m.n_layer, "transformer layers")->capture_default_str();
  g->add_option("--n-head", m.n_head, "attention heads per layer")->capture_default_str();
  g->add_option("--n-embd", m.n_embd, "model width d_model")->capture_default_str();
  g->add_option("--context,--block-size", m.context_length, "context length T in tokens (--block-size: the same, nanoGPT's name)")->capture_default_str();
  g->add_option("--dropout", m.dropout, "dropout probability")->capture_default_str();
  g->add_option("--tie-weights", m.tie_weights, "share lm_head with the token embedding")
      ->capture_default_str();
  g->add_option("--attn-temperature", m.attn_temperature, "attention temperature tau")
      ->capture_default_str();
  g->add_flag("--no-causal-mask{false}", m.causal,
              "LEAKING: bidirectional attention, each position sees the token it predicts "
              "(to reproduce leaking protocols only; the run and its numbers are labelled)");
}

void add_data_options(CLI::App& cmd, DataConfig& d) {
  auto* g = cmd.add_option_group("data");
  g->add_option("--data", d.source,
                "'synthetic' (embedded default), a text file, or a directory with "
                "train/valid/test (WikiText layout)")
      ->capture_default_str();
  g->add_option("--train-file", d.train_file, "override the train split file");
  g->add_option("--valid-file", d.valid_file, "override the validation split file");
  g->add_option("--test-file", d.test_file, "override the test split file");
  g->add_option("--tokenizer", d.tokenizer, "char | word | bpe | unigram")->capture_default_str();
  g->add_option("--tokenizer-vocab", d.tokenizer_vocab,
                "bpe/unigram: vocabulary size (0 = 2000); word: keep the N most frequent (0 = all)")
      ->capture_default_str();
  g->add_option("--valid-fraction", d.valid_fraction, "held-out tail of a single text file")
      ->capture_default_str();
  g->add_option("--synth-blocks", d.synth_blocks, "synthetic corpus: number of true blocks")
      ->capture_default_str();
  g->add_option("--synth-tokens", d.synth_tokens, "synthetic corpus: train tokens")
      ->capture_default_str();
  g->add_option("--synth-seed", d.synth_seed, "synthetic corpus: seed")->capture_default_str();
  g->add_flag("--synth-interleave", d.synth_interleave,
              "synthetic corpus: the blocks as concurrent streams, interleaved token by token");
  g->add_option("--synth-stay", d.synth_stay,
                "synthetic interleaved: probability that the next token continues the same stream")
      ->capture_default_str();
  g->add_option("--synth-recall", d.synth_recall,
                "synthetic corpus: probability that a segment has no anchor and its echoes recall "
                "its block's latest value (an anchor behind other blocks' segments)")
      ->capture_default_str();
}

void add_train_options(CLI::App& cmd, TrainConfig& t) {
  cmd.add_option("--train-only", t.train_only,
                 "train only the parameters whose names match this regular expression (e.g. 'ln_|bias' "
                 "for a cheap specialist); the rest stay frozen");
  auto* g = cmd.add_option_group("training");
  g->add_option("--batch-size", t.batch_size, "sequences per micro-batch")->capture_default_str();
  g->add_option("--grad-accum", t.grad_accum, "micro-batches per optimizer step")
      ->capture_default_str();
  g->add_option("--max-steps", t.max_steps, "optimizer steps")->capture_default_str();
  g->add_option("--warmup", t.warmup_steps, "linear warmup steps")->capture_default_str();
  g->add_option("--lr", t.lr, "peak learning rate")->capture_default_str();
  g->add_option("--min-lr", t.min_lr, "learning rate at the end of the cosine")
      ->capture_default_str();
  g->add_option("--weight-decay", t.weight_decay, "AdamW decoupled weight decay")
      ->capture_default_str();
  g->add_option("--beta1", t.beta1, "AdamW beta1")->capture_default_str();
  g->add_option("--beta2", t.beta2, "AdamW beta2")->capture_default_str();
  g->add_option("--grad-clip", t.grad_clip, "clip gradient norm (0 = off)")->capture_default_str();
  g->add_option("--eval-interval", t.eval_interval, "steps between evaluations + checkpoints")
      ->capture_default_str();
  g->add_option("--eval-tokens", t.eval_tokens, "validation tokens per periodic eval (0 = all)")
      ->capture_default_str();
  g->add_option("--log-interval", t.log_interval, "steps between progress lines")
      ->capture_default_str();
  g->add_option("--ckpt-interval", t.ckpt_interval, "extra checkpoint every N steps (0 = at evals)")
      ->capture_default_str();
  g->add_option("--keep-checkpoints", t.keep_checkpoints,
                "checkpoints kept: the latest in checkpoint/, the ones before it as checkpoint-STEP/")
      ->capture_default_str();
  g->add_option("--on-nonfinite", t.on_nonfinite,
                "a NaN/Inf loss or gradient: stop (the last checkpoint stays the last good one) | "
                "skip (drop that step's update; stops after 20 in a row)")
      ->capture_default_str();
  g->add_option("--seed", t.seed, "random seed")->capture_default_str();
  g->add_option("--device", t.device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  g->add_option("--threads", t.threads, "CPU threads (0 = LibTorch's default: OMP_NUM_THREADS, else one per core)")->capture_default_str();
  g->add_option("--peak-flops", t.peak_flops, "peak FLOP/s for MFU (0 = known GPUs)");
}

void add_localist_options(CLI::App& cmd, LocalistConfig& l) {
  auto* g = cmd.add_option_group("localist");
  g->add_option("--blocks", l.blocks,
                "block map: window:W | segment (a block per line) | vocab (token classes of --rules)")
      ->capture_default_str();
  g->add_option("--rules", l.rules_file,
                "rules file (JSON): vocab blocks, targets, anchor tokens, per-block dial scales");
  g->add_option("--anchors", l.anchors,
                "anchors: auto (the rules' anchor tokens if any, else first) | first (of each "
                "block's run) | rules (listed tokens) | info:N (the N token types most "
                "informative about their block, chosen from the training data)")
      ->capture_default_str();
  g->add_option("--lambda", l.lambda, "the locality dial in [0, 1] (logit bias -lambda*kappa off-target)")
      ->capture_default_str();
  g->add_option("--lambda-ramp", l.lambda_ramp,
                "training: raise lambda linearly from 0 over this many steps (0 = constant)")
      ->capture_default_str();
  g->add_option("--lambda-layer-power", l.lambda_layer_power,
                "progressive localisation: lambda_l = lambda * (l/(L-1))^beta (0 = every layer)")
      ->capture_default_str();
  g->add_option("--kappa", l.kappa, "off-target logit bias at lambda = 1, nats ('inf' = hard mask)")
      ->capture_default_str();
  g->add_option("--logit-bias", l.logit_bias, "apply the dial's logit bias (effect 1)")
      ->capture_default_str();
  g->add_option("--alpha-att", l.alpha_att,
                "attention-group penalty weight (effect 2, training): lambda*alpha*R_att")
      ->capture_default_str();
  g->add_option("--alpha-w", l.alpha_w,
                "weight-group penalty weight (effect 3, training): proximal step on W_Q/W_K groups")
      ->capture_default_str();
  g->add_option("--unit-groups", l.unit_groups, "unit groups of d_model for the weight-group penalty")
      ->capture_default_str();
}

void add_recruit_options(CLI::App& cmd, RecruitConfig& r) {
  auto* g = cmd.add_option_group("recruitment");
  g->add_flag("--recruit", r.enabled,
              "grow vocab blocks while training when the criterion says the data needs them "
              "(docs/recruitment.md; needs --blocks vocab and --lambda > 0; starts from one block "
              "without --rules)");
  g->add_option("--recruit-theta", r.theta, "recruit iff Delta L_total < -theta (nats per token)")
      ->capture_default_str();
  g->add_option("--recruit-start", r.start, "first decision after this many steps")->capture_default_str();
  g->add_option("--recruit-interval", r.interval, "steps between decisions")->capture_default_str();
  g->add_option("--recruit-epsilon", r.epsilon, "confused iff H_t > ln|A_i*| + epsilon (nats)")
      ->capture_default_str();
  g->add_option("--recruit-probe-batches", r.probe_batches, "training batches read for confused queries")
      ->capture_default_str();
  g->add_option("--recruit-min-confused", r.min_confused, "confused queries a block needs to be split")
      ->capture_default_str();
  g->add_option("--recruit-min-count", r.min_count, "occurrences a token type needs to be clustered")
      ->capture_default_str();
  g->add_option("--recruit-finetune", r.finetune_steps, "fine-tune steps scoring a candidate and its control")
      ->capture_default_str();
  g->add_option("--recruit-eval-tokens", r.eval_tokens, "held-out predictions scoring them")
      ->capture_default_str();
  g->add_option("--recruit-heads", r.heads, "new heads per layer for each recruited block")
      ->capture_default_str();
  g->add_option("--recruit-retry-after", r.retry_after, "steps before a decided split may be proposed again")
      ->capture_default_str();
  g->add_option("--recruit-hmin", r.h_min, "lower bound on the held-out NLL in p_max (nats per token)")
      ->capture_default_str();
}

}  // namespace localist::app

namespace localist::app {

void require_causal(const ModelConfig& model, const std::string& command) {
  if (!model.causal)
    throw ConfigError(command + ": the checkpoint was trained with --no-causal-mask (bidirectional, "
                      "leaking); its attention has no causal reading to " +
                      (command == "explain" ? "explain" : "bound"));
}

LocalistConfig localist_overrides(const LocalistConfig& stored, const CLI::App& cmd,
                                  const LocalistConfig& given) {
  LocalistConfig c = stored;
  if (cmd.count("--blocks") && given.blocks != c.blocks) {
    // the stored classes and targets describe the old block map; anchor tokens still apply
    c.blocks = given.blocks;
    if (c.rules.is_object())
      for (const char* field : {"blocks", "targets", "target_offset"}) c.rules.erase(field);
  }
  if (cmd.count("--rules")) c.rules_file = given.rules_file, c.rules = nullptr;  // read anew
  if (cmd.count("--anchors")) c.anchors = given.anchors;
  if (cmd.count("--lambda")) c.lambda = given.lambda;
  if (cmd.count("--lambda-ramp")) c.lambda_ramp = given.lambda_ramp;
  if (cmd.count("--lambda-layer-power")) c.lambda_layer_power = given.lambda_layer_power;
  if (cmd.count("--kappa")) c.kappa = given.kappa;
  if (cmd.count("--logit-bias")) c.logit_bias = given.logit_bias;
  // the penalties do not act at inference, but eval reports the weight-group pattern and
  // threshold asks what a given alpha would guarantee on these weights
  if (cmd.count("--alpha-att")) c.alpha_att = given.alpha_att;
  if (cmd.count("--alpha-w")) c.alpha_w = given.alpha_w;
  if (cmd.count("--unit-groups")) c.unit_groups = given.unit_groups;
  c.validate();
  return c;
}

std::pair<std::string, std::string> name_value(const std::string& s, const std::string& option) {
  const auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
    throw ConfigError(option + " '" + s + "' must be NAME=PATH");
  return {s.substr(0, eq), s.substr(eq + 1)};
}

}  // namespace localist::app
