#include "localist/core/config.h"

#include <cmath>
#include <regex>
#include <limits>
#include <sstream>
#include <type_traits>

#include "localist/core/errors.h"

namespace localist {
namespace {

template <typename T>
void require(bool ok, const char* field, T value, const char* expected) {
  if (ok) return;
  std::ostringstream s;
  s << "config: " << field << " = " << value << " is impossible; expected " << expected;
  throw ConfigError(s.str());
}

}  // namespace

void ModelConfig::validate() const {
  require(vocab_size > 0 && vocab_size <= INT32_MAX, "vocab_size", vocab_size, "in [1, 2^31) (ids are int32)");
  require(n_layer > 0, "n_layer", n_layer, "> 0");
  require(n_head > 0, "n_head", n_head, "> 0");
  require(n_embd > 0, "n_embd", n_embd, "> 0");
  require(head_size >= 0, "head_size", head_size, ">= 0 (0 = n_embd / n_head)");
  require(head_size > 0 || n_embd % n_head == 0, "n_embd", n_embd, "a multiple of n_head");
  require(context_length > 0, "context_length", context_length, "> 0");
  require(dropout >= 0 && dropout < 1, "dropout", dropout, "in [0, 1)");
  require(attn_temperature > 0, "attn_temperature", attn_temperature, "> 0");
}

void DataConfig::validate() const {
  require(tokenizer == "char" || tokenizer == "word" || tokenizer == "bpe" ||
              tokenizer == "unigram",
          "tokenizer", tokenizer, "one of char, word, bpe, unigram");
  require(tokenizer_vocab >= 0, "tokenizer_vocab", tokenizer_vocab, ">= 0");
  require(valid_fraction > 0 && valid_fraction < 1, "valid_fraction", valid_fraction,
          "in (0, 1)");
  require(synth_blocks >= 1 && synth_blocks <= 26, "synth_blocks", synth_blocks, "in [1, 26]");
  require(synth_stay > 0 && synth_stay < 1, "synth_stay", synth_stay, "in (0, 1)");
  require(synth_tokens >= 1000, "synth_tokens", synth_tokens, ">= 1000");
}

void LocalistConfig::validate() const {
  require(blocks == "segment" || blocks == "vocab" || blocks.rfind("window:", 0) == 0, "blocks",
          blocks, "window:W, segment or vocab");
  require(anchors == "auto" || anchors == "first" || anchors == "rules" || anchors.rfind("info:", 0) == 0, "anchors",
          anchors, "auto, first, rules or info:N");
  require(lambda >= 0 && lambda <= 1, "lambda", lambda, "in [0, 1]");
  require(lambda_ramp >= 0, "lambda_ramp", lambda_ramp, ">= 0 steps");
  require(lambda_layer_power >= 0, "lambda_layer_power", lambda_layer_power, ">= 0");
  require(kappa > 0, "kappa", kappa, "> 0 nats (or inf for a hard mask)");
  require(alpha_att >= 0, "alpha_att", alpha_att, ">= 0");
  require(alpha_w >= 0, "alpha_w", alpha_w, ">= 0");
  require(unit_groups >= 1, "unit_groups", unit_groups, ">= 1");
}

void TrainConfig::validate() const {
  require(batch_size > 0, "batch_size", batch_size, "> 0");
  require(grad_accum > 0, "grad_accum", grad_accum, "> 0");
  require(max_steps > 0, "max_steps", max_steps, "> 0");
  require(warmup_steps >= 0, "warmup_steps", warmup_steps, ">= 0");
  require(lr > 0, "lr", lr, "> 0");
  require(min_lr >= 0 && min_lr <= lr, "min_lr", min_lr, "in [0, lr]");
  require(weight_decay >= 0, "weight_decay", weight_decay, ">= 0");
  require(beta1 >= 0 && beta1 < 1, "beta1", beta1, "in [0, 1)");
  require(beta2 >= 0 && beta2 < 1, "beta2", beta2, "in [0, 1)");
  require(grad_clip >= 0, "grad_clip", grad_clip, ">= 0");
  require(eval_interval > 0, "eval_interval", eval_interval, "> 0");
  require(eval_tokens >= 0, "eval_tokens", eval_tokens, ">= 0");
  require(log_interval > 0, "log_interval", log_interval, "> 0");
  require(ckpt_interval >= 0, "ckpt_interval", ckpt_interval, ">= 0");
  require(keep_checkpoints >= 1, "keep_checkpoints", keep_checkpoints, ">= 1");
  require(on_nonfinite == "stop" || on_nonfinite == "skip", "on_nonfinite", on_nonfinite, "stop or skip");
  require(threads >= 0, "threads", threads, ">= 0");
  require(device == "auto" || device == "cpu" || device.rfind("cuda", 0) == 0, "device", device,
          "auto, cpu, cuda or cuda:N");
  if (!train_only.empty()) {
    try {
      std::regex check(train_only);
    } catch (const std::regex_error& e) {
      throw ConfigError("train_only = '" + train_only + "' is not a valid regular expression (" + e.what() + ")");
    }
  }
}

void RecruitConfig::validate() const {
  if (!enabled) return;
  require(start >= 0, "recruit.start", start, ">= 0");
  require(interval > 0, "recruit.interval", interval, "> 0");
  require(theta > 0 && std::isfinite(theta), "recruit.theta", theta, "> 0 (nats per token)");
  require(epsilon >= 0, "recruit.epsilon", epsilon, ">= 0 (nats)");
  require(probe_batches > 0, "recruit.probe_batches", probe_batches, "> 0");
  require(min_confused > 0, "recruit.min_confused", min_confused, "> 0");
  require(min_count > 0, "recruit.min_count", min_count, "> 0");
  require(finetune_steps > 0, "recruit.finetune_steps", finetune_steps, "> 0");
  require(eval_tokens > 0, "recruit.eval_tokens", eval_tokens, "> 0");
  require(heads >= 0, "recruit.heads", heads, ">= 0");
  require(retry_after > 0, "recruit.retry_after", retry_after, "> 0");
  require(h_min >= 0, "recruit.h_min", h_min, ">= 0 (nats per token)");
}

#define LOCALIST_FIELD(name) j[#name] = c.name;
#define LOCALIST_READ(name) \
  if (j.contains(#name)) read_field(j, #name, c.name);

namespace {
// A stored config field of the wrong type (a hand-edited or hostile checkpoint): name it.
template <typename T>
void read_field(const nlohmann::json& j, const char* name, T& out) {
  // an integer field must hold a JSON integer: converting 1e37 to int64 is undefined (found by fuzzing)
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
    if (!j.at(name).is_number_integer())
      throw ConfigError(std::string("config: ") + name + " = " + j.at(name).dump().substr(0, 80) +
                        " is not an integer");
  try {
    j.at(name).get_to(out);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(std::string("config: ") + name + " = " + j.at(name).dump().substr(0, 80) +
                      " has the wrong type (" + e.what() + ")");
  }
}
}  // namespace

void to_json(nlohmann::json& j, const ModelConfig& c) {
  LOCALIST_FIELD(vocab_size) LOCALIST_FIELD(n_layer) LOCALIST_FIELD(n_head)
  LOCALIST_FIELD(n_embd) LOCALIST_FIELD(context_length) LOCALIST_FIELD(dropout)
  LOCALIST_FIELD(tie_weights) LOCALIST_FIELD(attn_temperature) LOCALIST_FIELD(causal)
  LOCALIST_FIELD(head_size)
}
void from_json(const nlohmann::json& j, ModelConfig& c) {
  LOCALIST_READ(vocab_size) LOCALIST_READ(n_layer) LOCALIST_READ(n_head)
  LOCALIST_READ(n_embd) LOCALIST_READ(context_length) LOCALIST_READ(dropout)
  LOCALIST_READ(tie_weights) LOCALIST_READ(attn_temperature) LOCALIST_READ(causal)
  LOCALIST_READ(head_size)
  // checkpoints written before 0.4 call the context length by nanoGPT's name
  if (!j.contains("context_length") && j.contains("block_size")) read_field(j, "block_size", c.context_length);
}
void to_json(nlohmann::json& j, const DataConfig& c) {
  LOCALIST_FIELD(source) LOCALIST_FIELD(train_file) LOCALIST_FIELD(valid_file)
  LOCALIST_FIELD(test_file) LOCALIST_FIELD(tokenizer) LOCALIST_FIELD(tokenizer_vocab)
  LOCALIST_FIELD(valid_fraction) LOCALIST_FIELD(synth_blocks) LOCALIST_FIELD(synth_tokens)
  LOCALIST_FIELD(synth_seed) LOCALIST_FIELD(synth_interleave) LOCALIST_FIELD(synth_stay) LOCALIST_FIELD(synth_recall)
}
void from_json(const nlohmann::json& j, DataConfig& c) {
  LOCALIST_READ(source) LOCALIST_READ(train_file) LOCALIST_READ(valid_file)
  LOCALIST_READ(test_file) LOCALIST_READ(tokenizer) LOCALIST_READ(tokenizer_vocab)
  LOCALIST_READ(valid_fraction) LOCALIST_READ(synth_blocks) LOCALIST_READ(synth_tokens)
  LOCALIST_READ(synth_seed) LOCALIST_READ(synth_interleave) LOCALIST_READ(synth_stay) LOCALIST_READ(synth_recall)
}
void to_json(nlohmann::json& j, const LocalistConfig& c) {
  LOCALIST_FIELD(blocks) LOCALIST_FIELD(lambda) LOCALIST_FIELD(logit_bias) LOCALIST_FIELD(alpha_att)
  LOCALIST_FIELD(alpha_w) LOCALIST_FIELD(unit_groups) LOCALIST_FIELD(rules_file) LOCALIST_FIELD(rules)
  LOCALIST_FIELD(anchors) LOCALIST_FIELD(lambda_ramp) LOCALIST_FIELD(lambda_layer_power)
  j["kappa"] = std::isinf(c.kappa) ? nlohmann::json("inf") : nlohmann::json(c.kappa);  // JSON has no inf
}
void from_json(const nlohmann::json& j, LocalistConfig& c) {
  LOCALIST_READ(blocks) LOCALIST_READ(lambda) LOCALIST_READ(logit_bias) LOCALIST_READ(alpha_att)
  LOCALIST_READ(alpha_w) LOCALIST_READ(unit_groups) LOCALIST_READ(rules_file) LOCALIST_READ(rules)
  LOCALIST_READ(anchors) LOCALIST_READ(lambda_ramp) LOCALIST_READ(lambda_layer_power)
  if (j.contains("kappa"))
    c.kappa = j.at("kappa").is_string() ? std::numeric_limits<double>::infinity()
                                        : j.at("kappa").get<double>();
}
void to_json(nlohmann::json& j, const TrainConfig& c) {
  LOCALIST_FIELD(batch_size) LOCALIST_FIELD(grad_accum) LOCALIST_FIELD(max_steps)
  LOCALIST_FIELD(warmup_steps) LOCALIST_FIELD(lr) LOCALIST_FIELD(min_lr)
  LOCALIST_FIELD(weight_decay) LOCALIST_FIELD(beta1) LOCALIST_FIELD(beta2)
  LOCALIST_FIELD(grad_clip) LOCALIST_FIELD(eval_interval) LOCALIST_FIELD(eval_tokens)
  LOCALIST_FIELD(log_interval) LOCALIST_FIELD(ckpt_interval) LOCALIST_FIELD(seed)
  LOCALIST_FIELD(device) LOCALIST_FIELD(threads) LOCALIST_FIELD(peak_flops) LOCALIST_FIELD(train_only)
  LOCALIST_FIELD(keep_checkpoints) LOCALIST_FIELD(on_nonfinite)
}
void from_json(const nlohmann::json& j, TrainConfig& c) {
  LOCALIST_READ(batch_size) LOCALIST_READ(grad_accum) LOCALIST_READ(max_steps)
  LOCALIST_READ(warmup_steps) LOCALIST_READ(lr) LOCALIST_READ(min_lr)
  LOCALIST_READ(weight_decay) LOCALIST_READ(beta1) LOCALIST_READ(beta2)
  LOCALIST_READ(grad_clip) LOCALIST_READ(eval_interval) LOCALIST_READ(eval_tokens)
  LOCALIST_READ(log_interval) LOCALIST_READ(ckpt_interval) LOCALIST_READ(seed)
  LOCALIST_READ(device) LOCALIST_READ(threads) LOCALIST_READ(peak_flops) LOCALIST_READ(train_only)
  LOCALIST_READ(keep_checkpoints) LOCALIST_READ(on_nonfinite)
}

void to_json(nlohmann::json& j, const RecruitConfig& c) {
  LOCALIST_FIELD(enabled) LOCALIST_FIELD(start) LOCALIST_FIELD(interval) LOCALIST_FIELD(theta)
  LOCALIST_FIELD(epsilon) LOCALIST_FIELD(probe_batches) LOCALIST_FIELD(min_confused)
  LOCALIST_FIELD(min_count) LOCALIST_FIELD(finetune_steps) LOCALIST_FIELD(eval_tokens)
  LOCALIST_FIELD(heads) LOCALIST_FIELD(h_min) LOCALIST_FIELD(retry_after)
}
void from_json(const nlohmann::json& j, RecruitConfig& c) {
  LOCALIST_READ(enabled) LOCALIST_READ(start) LOCALIST_READ(interval) LOCALIST_READ(theta)
  LOCALIST_READ(epsilon) LOCALIST_READ(probe_batches) LOCALIST_READ(min_confused)
  LOCALIST_READ(min_count) LOCALIST_READ(finetune_steps) LOCALIST_READ(eval_tokens)
  LOCALIST_READ(heads) LOCALIST_READ(h_min) LOCALIST_READ(retry_after)
}

}  // namespace localist
