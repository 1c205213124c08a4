#pragma once
// The configuration structs with their defaults (nanoGPT style: one struct, defaults here,
// overridden from the command line). Each validates itself and converts to/from JSON, which is
// how it is stored in a checkpoint.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace localist {

struct ModelConfig {
  int64_t vocab_size = 0;   // set from the tokenizer
  int64_t n_layer = 2;
  int64_t n_head = 4;
  int64_t n_embd = 128;
  int64_t context_length = 128;  // context length T
  double dropout = 0.0;
  bool tie_weights = true;   // lm_head shares the token embedding
  double attn_temperature = 1.0;  // tau in s_tj = q.k / (tau sqrt(d_head))
  std::string activation = "gelu";  // the MLP's: gelu (erf form) | gelu_tanh (GPT-2's "gelu_new")
  // false: every query also sees the keys after it (bidirectional). For next-token prediction
  // that LEAKS the answer (position t reads token t+1): it exists only to show, by measurement,
  // which protocol produces figures like the published ones; never for honest numbers.
  bool causal = true;
  // d_head; 0 = n_embd / n_head. Set when block recruitment has added heads (model/grow_heads.h):
  // the heads then span n_head * head_size units, which c_proj maps back to n_embd.
  int64_t head_size = 0;
  // R_W tied to blocks (docs/theory.md): > 0 splits d_model into this many unit groups, one per
  // vocab block, and each layer's queries and keys read only the group of their token's block
  // (values read every unit). The weight-group penalty's groups then mean "head h reads block
  // i". 0 = off. The token -> block table comes from the run's blocks (GptImpl::set_unit_table).
  int64_t block_units = 0;

  void validate() const;  // throws ConfigError naming the field
  int64_t head_dim() const { return head_size > 0 ? head_size : n_embd / n_head; }
  int64_t attn_width() const { return n_head * head_dim(); }  // q, k and v each
};
// ConfigError for `command` (explain, threshold, ...) on a leaking (bidirectional) model: its
// attention has no causal reading.
void require_causal(const ModelConfig& model, const std::string& command);

struct DataConfig {
  std::string source = "synthetic";  // "synthetic", a text file, or a directory (train/valid/test)
  std::string train_file;            // explicit overrides of the split files
  std::string valid_file;
  std::string test_file;
  std::string tokenizer = "word";     // char | word | bpe | unigram | gpt2
  std::string tokenizer_files;        // gpt2: the directory of vocab.json + merges.txt or tokenizer.json
  int64_t tokenizer_vocab = 0;  // bpe/unigram: target size (0 = 2000); word: cap (0 = every train word)
  double valid_fraction = 0.1;        // for a single file: the tail held out
  // Synthetic corpus (the embedded default).
  int64_t synth_blocks = 4;
  int64_t synth_tokens = 200000;
  uint64_t synth_seed = 1234;
  bool synth_interleave = false;     // the blocks as concurrent interleaved streams (data/synthetic.h)
  double synth_stay = 0.8;           // interleaved: P(the next token continues the same stream)
  double synth_recall = 0;           // P(a segment recalls its block's latest value, no anchor)
  // Data that arrive over time (train --phase FILE:STEPS, repeatable): train on each file for its
  // steps, one after the other (the last until max_steps); the tokenizer is trained on them all.
  std::vector<std::string> phases;

  void validate() const;
};

// The localist settings (docs/design.md §1.1-1.2): which block map, and the dial.
struct LocalistConfig {
  std::string blocks = "segment";  // window:W | segment (a block per line) | vocab (from rules)
  std::string rules_file;          // a rules file (JSON, docs/design.md §1.7) to read; its content is
  nlohmann::json rules;            //   parsed into `rules`, which checkpoints store (null = none)
  std::string anchors = "auto";    // auto (the rules' anchor tokens if any, else first) |
                                   // first (of each run) | rules (listed tokens) | info:N
  double lambda = 0.0;             // the dial, in [0, 1]
  int64_t lambda_ramp = 0;         // training: lambda rises linearly over this many steps (0 = constant)
  std::string lambda_sample;       // training: "LO:HI" draws lambda uniformly in [LO, HI] per step
                                   //   ("" = the fixed lambda above; docs/dial.md)
  double lambda_layer_power = 0;   // progressive: lambda_l = lambda * (l / (L-1))^beta (0 = every layer)
  double kappa = 10.0;             // logit-bias scale in nats; inf = hard mask
  bool logit_bias = true;          // effect 1: the lambda-scaled logit bias
  double alpha_att = 0.0;          // effect 2: attention-group penalty weight (training only)
  double alpha_w = 0.0;            // effect 3: weight-group penalty weight (proximal step)
  int64_t unit_groups = 4;         // K unit groups of d_model for effect 3
  // Effect 3 on block units (ModelConfig::block_units): penalise only the cross-block terms,
  // each head's off-diagonal (d_head slice s, unit group i != s) blocks of W_Q / W_K and its
  // query bias (loss/cross_group_prox.h), instead of whole unit-group columns.
  bool cross_groups = false;

  void validate() const;
};

// Block recruitment during training (docs/design.md §1.5, recruit/recruiter.h); off unless enabled.
// Units: nats per token for theta and h_min, nats for epsilon.
struct RecruitConfig {
  bool enabled = false;
  int64_t start = 100;           // first decision after this many steps
  int64_t interval = 100;        // steps between decisions
  double theta = 0.001;          // recruit iff Delta L_total < -theta (nats/token)
  double epsilon = 0.1;          // query t is confused iff H_t > ln|A_i*(t)| + epsilon (nats)
  int64_t probe_batches = 4;     // training batches read to find confused queries
  int64_t min_confused = 200;    // confused queries a block needs before it is split
  int64_t min_count = 5;         // occurrences a token type needs to be clustered
  int64_t finetune_steps = 50;   // the short fine-tune of a candidate and of its control
  int64_t eval_tokens = 20000;   // held-out predictions that score them
  int64_t heads = 0;             // new heads per layer for each recruited block (docs/recruitment.md)
  int64_t retry_after = 500;     // steps before a decided split may be proposed again
  double h_min = 0;              // lower bound on the pointer code, for p_max (nats)
  // The targets a candidate carries (docs/recruitment.md, "Candidates that carry their targets"):
  // "own" every block reads itself; "hub" and "other" (the unclassified tokens: markers,
  // punctuation, function words) reads every block, as before any split; "shared" also every
  // block may read "other"; "context" also a block's word reads the block of its surrounding
  // text (rules "@context", not past a newline), so a word quoted inside another block's text
  // reads that text.
  std::string targets = "context";
  // How "other" is split under shared or context targets (docs/recruitment.md, "Many blocks in
  // one decision"): "communities" proposes every co-occurrence community of its types as a block
  // at once (recruit/communities.h), then binary splits; "two" only binary splits.
  std::string split = "communities";
  // What pays for a block (docs/recruitment.md, "Which criterion"): "pointer" the held-out NLL
  // and the attention's own code (recruit/pointer_code.h), "likelihood" the held-out NLL alone,
  // both with the 95 % interval rule; "seed" Delta L_model + Delta L_data < -theta as first written.
  std::string criterion = "pointer";

  void validate() const;
};

struct TrainConfig {
  int64_t batch_size = 16;
  int64_t grad_accum = 1;
  int64_t max_steps = 1000;
  int64_t warmup_steps = 100;
  double lr = 3e-3;
  double min_lr = 3e-4;
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.99;
  // adamw | sgd. sgd (plain, no momentum) makes the weight-group prox after each step proximal
  // gradient descent, whose stationary points are the KKT points of docs/design.md §1.4.
  std::string optimizer = "adamw";
  double grad_clip = 1.0;  // 0 disables
  // fp32 | bf16: bf16 autocast for the forward (matmuls and attention in bfloat16) with fp32
  // master weights, optimizer state and loss (core/autocast.h)
  std::string precision = "fp32";
  int64_t eval_interval = 200;
  int64_t eval_tokens = 50000;  // cap on validation tokens per periodic eval (0 = full split)
  int64_t log_interval = 10;
  int64_t ckpt_interval = 0;    // 0: checkpoint at each eval and at the end
  int64_t keep_checkpoints = 1; // the latest in checkpoint/, the N-1 before it as checkpoint-STEP/
  // A NaN/Inf loss or gradient: "stop" (throw; the last checkpoint is the last good one) or
  // "skip" (drop that step's update and go on; stops after kMaxSkippedSteps in a row).
  std::string on_nonfinite = "stop";
  uint64_t seed = 1337;
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  int64_t threads = 0;          // torch intra-op threads; 0 = LibTorch's default (docs/cpu.md)
  double peak_flops = 0;        // for MFU; 0 = from the device name (GPU only)
  std::string train_only;       // ECMAScript regex: only parameters whose names match train ("" = all)

  void validate() const;
  int64_t tokens_per_step(const ModelConfig& m) const {
    return batch_size * grad_accum * m.context_length;
  }
};

// "LO:HI" with 0 <= LO <= HI <= 1 (e.g. "0:1"), else nullopt.
std::optional<std::pair<double, double>> parse_lambda_range(const std::string& text);

void to_json(nlohmann::json& j, const ModelConfig& c);
void from_json(const nlohmann::json& j, ModelConfig& c);
void to_json(nlohmann::json& j, const DataConfig& c);
void from_json(const nlohmann::json& j, DataConfig& c);
void to_json(nlohmann::json& j, const TrainConfig& c);
void to_json(nlohmann::json& j, const LocalistConfig& c);
void from_json(const nlohmann::json& j, LocalistConfig& c);
void from_json(const nlohmann::json& j, TrainConfig& c);
void to_json(nlohmann::json& j, const RecruitConfig& c);
void from_json(const nlohmann::json& j, RecruitConfig& c);

}  // namespace localist
