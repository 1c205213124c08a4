#pragma once
// One description per config field: its key (JSON, checkpoints, error messages), its command-line
// flag, its help text and the values it accepts. validate, to_json and from_json (config.cpp) and
// the command-line options (apps/options.cpp) all walk these lists, so a field is described in
// exactly one place; the structs in config.h hold the defaults.
//
//   ConfigFields<ModelConfig>::each(visitor)   calls visitor(&ModelConfig::n_layer, info, check)
//                                              for every field, in help order
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>

#include "localist/core/config.h"

namespace localist {

// How the command line sets a field: an option with a value, a flag (true when given), or an
// inverted flag (false when given, e.g. --no-causal-mask).
enum class FlagKind { Option, Flag, InvertedFlag };

struct FieldInfo {
  const char* key;          // JSON key and the name errors use
  const char* flag;         // "--n-layer" (aliases after a comma); nullptr: not on the command line
  const char* help;
  FlagKind kind = FlagKind::Option;
  bool infinite_as_string = false;  // JSON has no infinity: stored as "inf"
};

// The values a field accepts; `expected` completes "... is impossible; expected ...".
template <typename T>
struct Check {
  std::function<bool(const T&)> ok;
  const char* expected;
};

namespace checks {
template <typename T>
Check<T> any() { return {[](const T&) { return true; }, ""}; }
template <typename T>
Check<T> positive() { return {[](const T& v) { return v > 0; }, "> 0"}; }
template <typename T>
Check<T> non_negative(const char* expected = ">= 0") { return {[](const T& v) { return v >= 0; }, expected}; }
template <typename T>
Check<T> at_least(T low, const char* expected) { return {[low](const T& v) { return v >= low; }, expected}; }
// lo <= v < hi (closed_hi: v <= hi), lo < v when open_lo
inline Check<double> in_range(double lo, double hi, bool open_lo, bool closed_hi, const char* expected) {
  return {[=](const double& v) { return (open_lo ? v > lo : v >= lo) && (closed_hi ? v <= hi : v < hi); }, expected};
}
inline Check<std::string> one_of(std::initializer_list<const char*> values, const char* expected) {
  std::vector<std::string> allowed(values.begin(), values.end());
  return {[allowed](const std::string& v) {
            for (const auto& a : allowed)
              if (a.back() == '*' ? v.rfind(a.substr(0, a.size() - 1), 0) == 0 : v == a) return true;
            return false;
          },
          expected};
}
}  // namespace checks

template <typename Config>
struct ConfigFields;

template <>
struct ConfigFields<ModelConfig> {
  static constexpr const char* prefix = "";
  template <typename V>
  static void each(V&& v) {
    using C = ModelConfig;
    using namespace checks;
    v(&C::vocab_size, FieldInfo{"vocab_size", nullptr, "set from the tokenizer"},
      Check<int64_t>{[](const int64_t& n) { return n > 0 && n <= INT32_MAX; }, "in [1, 2^31) (ids are int32)"});
    v(&C::n_layer, FieldInfo{"n_layer", "--n-layer", "transformer layers"}, positive<int64_t>());
    v(&C::n_head, FieldInfo{"n_head", "--n-head", "attention heads per layer"}, positive<int64_t>());
    v(&C::n_embd, FieldInfo{"n_embd", "--n-embd", "model width d_model"}, positive<int64_t>());
    v(&C::context_length, FieldInfo{"context_length", "--context,--block-size",
                                    "context length T in tokens (--block-size: the same, nanoGPT's name)"},
      positive<int64_t>());
    v(&C::dropout, FieldInfo{"dropout", "--dropout", "dropout probability"}, in_range(0, 1, false, false, "in [0, 1)"));
    v(&C::tie_weights, FieldInfo{"tie_weights", "--tie-weights", "share lm_head with the token embedding"}, any<bool>());
    v(&C::attn_temperature, FieldInfo{"attn_temperature", "--attn-temperature", "attention temperature tau"},
      positive<double>());
    v(&C::activation, FieldInfo{"activation", "--activation",
                                "MLP activation: gelu (erf form) | gelu_tanh (GPT-2's tanh approximation)"},
      one_of({"gelu", "gelu_tanh"}, "gelu or gelu_tanh"));
    v(&C::causal, FieldInfo{"causal", "--no-causal-mask",
                            "LEAKING: bidirectional attention, each position sees the token it predicts "
                            "(to reproduce leaking protocols only; the run and its numbers are labelled)",
                            FlagKind::InvertedFlag},
      any<bool>());
    v(&C::head_size, FieldInfo{"head_size", nullptr, "per-head width (0 = n_embd / n_head)"},
      non_negative<int64_t>(">= 0 (0 = n_embd / n_head)"));
    v(&C::block_units, FieldInfo{"block_units", "--block-units",
                                 "R_W tied to blocks: K unit groups, one per vocab block; queries and keys read "
                                 "only their token's block's group (0 = off; needs --blocks vocab, K = its blocks)"},
      non_negative<int64_t>(">= 0 (0 = off)"));
  }
};

template <>
struct ConfigFields<DataConfig> {
  static constexpr const char* prefix = "";
  template <typename V>
  static void each(V&& v) {
    using C = DataConfig;
    using namespace checks;
    v(&C::source, FieldInfo{"source", "--data",
                            "'synthetic' (embedded default), a text file, or a directory with "
                            "train/valid/test (WikiText layout)"},
      any<std::string>());
    v(&C::train_file, FieldInfo{"train_file", "--train-file", "override the train split file"}, any<std::string>());
    v(&C::valid_file, FieldInfo{"valid_file", "--valid-file", "override the validation split file"}, any<std::string>());
    v(&C::test_file, FieldInfo{"test_file", "--test-file", "override the test split file"}, any<std::string>());
    v(&C::tokenizer, FieldInfo{"tokenizer", "--tokenizer", "char | word | bpe | unigram | gpt2 (byte-level BPE read from --tokenizer-files)"},
      one_of({"char", "word", "bpe", "unigram", "gpt2"}, "one of char, word, bpe, unigram, gpt2"));
    v(&C::tokenizer_files, FieldInfo{"tokenizer_files", "--tokenizer-files",
                                     "gpt2: directory with vocab.json + merges.txt, or tokenizer.json (Hugging Face)"},
      any<std::string>());
    v(&C::tokenizer_vocab, FieldInfo{"tokenizer_vocab", "--tokenizer-vocab",
                                     "bpe/unigram: vocabulary size (0 = 2000); word: keep the N most frequent (0 = all)"},
      non_negative<int64_t>());
    v(&C::phases, FieldInfo{"phases", "--phase",
                            "FILE:STEPS: train on FILE for STEPS steps, then on the next --phase (repeatable; "
                            "the last one until --max-steps; valid/test from --data or --valid-file/--test-file)"},
      Check<std::vector<std::string>>{[](const std::vector<std::string>& v) {
                                        for (const auto& p : v) {
                                          const auto c = p.rfind(':');
                                          if (c == std::string::npos || c == 0 || c + 1 == p.size() ||
                                              p.find_first_not_of("0123456789", c + 1) != std::string::npos ||
                                              p.size() - c > 10 || std::stoll(p.substr(c + 1)) < 1)
                                            return false;
                                        }
                                        return true;
                                      },
                                      "FILE:STEPS, STEPS a whole number of steps >= 1"});
    v(&C::valid_fraction, FieldInfo{"valid_fraction", "--valid-fraction", "held-out tail of a single text file"},
      in_range(0, 1, true, false, "in (0, 1)"));
    v(&C::synth_blocks, FieldInfo{"synth_blocks", "--synth-blocks", "synthetic corpus: number of true blocks"},
      Check<int64_t>{[](const int64_t& n) { return n >= 1 && n <= 26; }, "in [1, 26]"});
    v(&C::synth_tokens, FieldInfo{"synth_tokens", "--synth-tokens", "synthetic corpus: train tokens"},
      at_least<int64_t>(1000, ">= 1000"));
    v(&C::synth_seed, FieldInfo{"synth_seed", "--synth-seed", "synthetic corpus: seed"}, any<uint64_t>());
    v(&C::synth_interleave, FieldInfo{"synth_interleave", "--synth-interleave",
                                      "synthetic corpus: the blocks as concurrent streams, interleaved token by token",
                                      FlagKind::Flag},
      any<bool>());
    v(&C::synth_stay, FieldInfo{"synth_stay", "--synth-stay",
                                "synthetic interleaved: probability that the next token continues the same stream"},
      in_range(0, 1, true, false, "in (0, 1)"));
    v(&C::synth_recall, FieldInfo{"synth_recall", "--synth-recall",
                                  "synthetic corpus: probability that a segment has no anchor and its echoes recall "
                                  "its block's latest value (an anchor behind other blocks' segments)"},
      any<double>());
  }
};

template <>
struct ConfigFields<LocalistConfig> {
  static constexpr const char* prefix = "";
  template <typename V>
  static void each(V&& v) {
    using C = LocalistConfig;
    using namespace checks;
    v(&C::blocks, FieldInfo{"blocks", "--blocks",
                            "block map: window:W | segment (a block per line) | vocab (token classes of --rules)"},
      one_of({"segment", "vocab", "window:*"}, "window:W, segment or vocab"));
    v(&C::rules_file, FieldInfo{"rules_file", "--rules",
                                "rules file (JSON): vocab blocks, targets, anchor tokens, per-block dial scales"},
      any<std::string>());
    v(&C::rules, FieldInfo{"rules", nullptr, "the rules as read (checkpoints keep them)"}, any<nlohmann::json>());
    v(&C::anchors, FieldInfo{"anchors", "--anchors",
                             "anchors: auto (the rules' anchor tokens if any, else first) | first (of each "
                             "block's run) | rules (listed tokens) | info:N (the N token types most "
                             "informative about their block, chosen from the training data)"},
      one_of({"auto", "first", "rules", "info:*"}, "auto, first, rules or info:N"));
    v(&C::lambda, FieldInfo{"lambda", "--lambda", "the locality dial in [0, 1] (logit bias -lambda*kappa off-target)"},
      in_range(0, 1, false, true, "in [0, 1]"));
    v(&C::lambda_ramp, FieldInfo{"lambda_ramp", "--lambda-ramp",
                                 "training: raise lambda linearly from 0 over this many steps (0 = constant)"},
      non_negative<int64_t>(">= 0 steps"));
    v(&C::lambda_sample, FieldInfo{"lambda_sample", "--lambda-sample",
                                   "training: draw lambda uniformly in [LO, HI] for each step (LO:HI, e.g. 0:1), "
                                   "so one checkpoint serves the whole dial; --lambda stays the default at inference"},
      Check<std::string>{[](const std::string& s) { return s.empty() || parse_lambda_range(s).has_value(); },
                         "LO:HI with 0 <= LO <= HI <= 1"});
    v(&C::lambda_layer_power, FieldInfo{"lambda_layer_power", "--lambda-layer-power",
                                        "progressive localisation: lambda_l = lambda * (l/(L-1))^beta (0 = every layer)"},
      non_negative<double>());
    v(&C::kappa, FieldInfo{"kappa", "--kappa", "off-target logit bias at lambda = 1, nats ('inf' = hard mask)",
                           FlagKind::Option, /*infinite_as_string=*/true},
      Check<double>{[](const double& k) { return k > 0; }, "> 0 nats (or inf for a hard mask)"});
    v(&C::logit_bias, FieldInfo{"logit_bias", "--logit-bias", "apply the dial's logit bias (effect 1)"}, any<bool>());
    v(&C::alpha_att, FieldInfo{"alpha_att", "--alpha-att",
                               "attention-group penalty weight (effect 2, training): lambda*alpha*R_att"},
      non_negative<double>());
    v(&C::alpha_w, FieldInfo{"alpha_w", "--alpha-w",
                             "weight-group penalty weight (effect 3, training): proximal step on W_Q/W_K groups"},
      non_negative<double>());
    v(&C::unit_groups, FieldInfo{"unit_groups", "--unit-groups", "unit groups of d_model for the weight-group penalty"},
      at_least<int64_t>(1, ">= 1"));
    v(&C::cross_groups, FieldInfo{"cross_groups", "--cross-groups",
                                  "with --block-units: the weight penalty acts on each head's cross-block terms "
                                  "only (off-diagonal d_head-slice x unit-group blocks of W_Q/W_K, and the query bias)",
                                  FlagKind::Flag},
      any<bool>());
  }
};

template <>
struct ConfigFields<RecruitConfig> {
  static constexpr const char* prefix = "recruit.";
  template <typename V>
  static void each(V&& v) {
    using C = RecruitConfig;
    using namespace checks;
    v(&C::enabled, FieldInfo{"enabled", "--recruit",
                             "grow vocab blocks while training when the criterion says the data needs them "
                             "(docs/recruitment.md; needs --blocks vocab and --lambda > 0; starts from one block "
                             "without --rules)",
                             FlagKind::Flag},
      any<bool>());
    v(&C::theta, FieldInfo{"theta", "--recruit-theta", "recruit iff Delta L_total < -theta (nats per token)"},
      Check<double>{[](const double& t) { return t > 0 && std::isfinite(t); }, "> 0 (nats per token)"});
    v(&C::start, FieldInfo{"start", "--recruit-start", "first decision after this many steps"}, non_negative<int64_t>());
    v(&C::interval, FieldInfo{"interval", "--recruit-interval", "steps between decisions"}, positive<int64_t>());
    v(&C::epsilon, FieldInfo{"epsilon", "--recruit-epsilon", "confused iff H_t > ln|A_i*| + epsilon (nats)"},
      non_negative<double>(">= 0 (nats)"));
    v(&C::probe_batches, FieldInfo{"probe_batches", "--recruit-probe-batches", "training batches read for confused queries"},
      positive<int64_t>());
    v(&C::min_confused, FieldInfo{"min_confused", "--recruit-min-confused", "confused queries a block needs to be split"},
      positive<int64_t>());
    v(&C::min_count, FieldInfo{"min_count", "--recruit-min-count", "occurrences a token type needs to be clustered"},
      positive<int64_t>());
    v(&C::finetune_steps, FieldInfo{"finetune_steps", "--recruit-finetune",
                                    "fine-tune steps scoring a candidate and its control"},
      positive<int64_t>());
    v(&C::eval_tokens, FieldInfo{"eval_tokens", "--recruit-eval-tokens", "held-out predictions scoring them"},
      positive<int64_t>());
    v(&C::heads, FieldInfo{"heads", "--recruit-heads", "new heads per layer for each recruited block"},
      non_negative<int64_t>());
    v(&C::retry_after, FieldInfo{"retry_after", "--recruit-retry-after",
                                 "steps before a decided split may be proposed again"},
      positive<int64_t>());
    v(&C::h_min, FieldInfo{"h_min", "--recruit-hmin", "lower bound on the pointer code in p_max = ceil((ln T - H_min) / theta) (nats)"},
      non_negative<double>(">= 0 (nats per token)"));
    v(&C::targets, FieldInfo{"targets", "--recruit-targets",
                             "the targets a candidate carries: own (each block reads itself), hub (and 'other' "
                             "reads every block), shared (and every block may also read 'other') or context "
                             "(and a block's word reads the block of its surrounding text, not past a newline)"},
      one_of({"own", "hub", "shared", "context"}, "own, hub, shared or context"));
    v(&C::split, FieldInfo{"split", "--recruit-split",
                           "how 'other' is split under shared or context targets: communities (every "
                           "co-occurrence community a block at once, then binary splits) or two (binary splits only)"},
      one_of({"communities", "two"}, "communities or two"));
    v(&C::criterion, FieldInfo{"criterion", "--recruit-criterion",
                               "what pays for a block: pointer (held-out NLL and the attention's own code beyond a "
                               "permutation of the candidate), likelihood (held-out NLL alone) or seed (as first "
                               "written: no interval)"},
      one_of({"pointer", "likelihood", "seed"}, "pointer, likelihood or seed"));
  }
};

template <>
struct ConfigFields<TrainConfig> {
  static constexpr const char* prefix = "";
  template <typename V>
  static void each(V&& v) {
    using C = TrainConfig;
    using namespace checks;
    v(&C::batch_size, FieldInfo{"batch_size", "--batch-size", "sequences per micro-batch"}, positive<int64_t>());
    v(&C::grad_accum, FieldInfo{"grad_accum", "--grad-accum", "micro-batches per optimizer step"}, positive<int64_t>());
    v(&C::max_steps, FieldInfo{"max_steps", "--max-steps", "optimizer steps"}, positive<int64_t>());
    v(&C::warmup_steps, FieldInfo{"warmup_steps", "--warmup", "linear warmup steps"}, non_negative<int64_t>());
    v(&C::lr, FieldInfo{"lr", "--lr", "peak learning rate"}, positive<double>());
    v(&C::min_lr, FieldInfo{"min_lr", "--min-lr", "learning rate at the end of the cosine"}, any<double>());  // in [0, lr]: validate()
    v(&C::weight_decay, FieldInfo{"weight_decay", "--weight-decay", "AdamW decoupled weight decay"}, non_negative<double>());
    v(&C::beta1, FieldInfo{"beta1", "--beta1", "AdamW beta1"}, in_range(0, 1, false, false, "in [0, 1)"));
    v(&C::beta2, FieldInfo{"beta2", "--beta2", "AdamW beta2"}, in_range(0, 1, false, false, "in [0, 1)"));
    v(&C::optimizer, FieldInfo{"optimizer", "--optimizer",
                               "adamw | sgd (plain SGD: with --alpha-w, proximal gradient descent)"},
      one_of({"adamw", "sgd"}, "adamw or sgd"));
    v(&C::grad_clip, FieldInfo{"grad_clip", "--grad-clip", "clip gradient norm (0 = off)"}, non_negative<double>());
    v(&C::precision, FieldInfo{"precision", "--precision",
                               "fp32 | bf16 (autocast: bfloat16 matmuls and attention, fp32 master weights)"},
      one_of({"fp32", "bf16"}, "fp32 or bf16"));
    v(&C::eval_interval, FieldInfo{"eval_interval", "--eval-interval", "steps between evaluations + checkpoints"},
      positive<int64_t>());
    v(&C::eval_tokens, FieldInfo{"eval_tokens", "--eval-tokens", "validation tokens per periodic eval (0 = all)"},
      non_negative<int64_t>());
    v(&C::log_interval, FieldInfo{"log_interval", "--log-interval", "steps between progress lines"}, positive<int64_t>());
    v(&C::ckpt_interval, FieldInfo{"ckpt_interval", "--ckpt-interval", "extra checkpoint every N steps (0 = at evals)"},
      non_negative<int64_t>());
    v(&C::keep_checkpoints, FieldInfo{"keep_checkpoints", "--keep-checkpoints",
                                      "checkpoints kept: the latest in checkpoint/, the ones before it as checkpoint-STEP/"},
      at_least<int64_t>(1, ">= 1"));
    v(&C::on_nonfinite, FieldInfo{"on_nonfinite", "--on-nonfinite",
                                  "a NaN/Inf loss or gradient: stop (the last checkpoint stays the last good one) | "
                                  "skip (drop that step's update; stops after 20 in a row)"},
      one_of({"stop", "skip"}, "stop or skip"));
    v(&C::seed, FieldInfo{"seed", "--seed", "random seed"}, any<uint64_t>());
    v(&C::device, FieldInfo{"device", "--device", "auto | cpu | cuda | cuda:N"},
      one_of({"auto", "cpu", "cuda*"}, "auto, cpu, cuda or cuda:N"));
    v(&C::threads, FieldInfo{"threads", "--threads", "CPU threads (0 = LibTorch's default: OMP_NUM_THREADS, else one per core)"},
      non_negative<int64_t>());
    v(&C::peak_flops, FieldInfo{"peak_flops", "--peak-flops", "peak FLOP/s for MFU (0 = known GPUs)"}, any<double>());
    v(&C::train_only, FieldInfo{"train_only", "--train-only",
                                "train only the parameters whose names match this regular expression (e.g. 'ln_|bias' "
                                "for a cheap specialist); the rest stay frozen"},
      any<std::string>());
  }
};

}  // namespace localist
