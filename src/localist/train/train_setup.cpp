#include "localist/train/train_setup.h"

#include "localist/train/lambda_schedule.h"

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <regex>

#include "localist/blocks/block_map.h"
#include "localist/blocks/info_anchors.h"
#include "localist/blocks/rules.h"
#include "localist/core/errors.h"
#include "localist/core/progress.h"
#include "localist/loss/weight_group_prox.h"
#include "localist/train/distributed.h"
#include "localist/train/lambda_schedule.h"
#include "localist/train/step.h"

namespace localist {
namespace {

// A model that cannot be built fails before any time goes to data; vocab comes later.
void probe_model_shape(const ModelConfig& m) {
  ModelConfig probe = m;
  probe.vocab_size = 1;
  probe.validate();
}

// Recruitment grows token classes under the dial: what it needs from the other settings.
void check_recruitment(const RecruitConfig& r, LocalistConfig& l) {
  if (!r.enabled) return;
  if (l.blocks != "vocab")
    throw ConfigError(setting("recruit") + " grows token classes: it needs " + setting("blocks") + " vocab (now " + l.blocks + ")");
  if (highest_training_lambda(l) <= 0 || !l.logit_bias)
    throw ConfigError(setting("recruit") + " needs the dial's logit bias on (" + setting("lambda") + " > 0, or a " + setting("lambda_sample") + " range above 0): without it a "
                      "block changes nothing the model computes, so no candidate could pay");
  if (l.anchors != "auto" && l.anchors != "first")
    throw ConfigError(setting("recruit") + " chooses each new block's anchors itself: use " + setting("anchors") + " auto "
                      "(its choices) or first (first of each run), not " + l.anchors);
  if (r.start < l.lambda_ramp)
    throw ConfigError(setting("recruit_start") + " " + std::to_string(r.start) + " comes before the end of " +
                      setting("lambda_ramp") + " " + std::to_string(l.lambda_ramp) + ": candidates would be "
                      "scored under a dial that is not yet on");
  if (l.rules.is_null() && l.rules_file.empty())
    l.rules = nlohmann::json{{"blocks", nlohmann::json::array()}};  // one block, "other"
}

// Block units tie the weight groups to blocks: the penalty's groups must be those units, and a
// recruited block would need a unit group the model does not have.
void check_block_units(const RunConfigs& c) {
  const int64_t k = c.model.block_units;
  if (c.localist.cross_groups && (k == 0 || c.localist.alpha_w <= 0))
    throw ConfigError(setting("cross_groups") + " penalises the cross-block terms of block-structured units: it needs " +
                      setting("block_units") + " K and " + setting("alpha_w") + " > 0");
  if (k == 0) return;
  if (c.recruit.enabled)
    throw ConfigError(setting("block_units") + " gives each vocab block a fixed unit group; " + setting("recruit") + " would add blocks "
                      "without one: use one or the other");
  if (c.localist.blocks != "vocab")
    throw ConfigError(setting("block_units") + " needs " + setting("blocks") + " vocab (a token's block must not depend on its position), "
                      "not " + c.localist.blocks);
  if (c.localist.alpha_w > 0 && c.localist.unit_groups != k)
    throw ConfigError(setting("block_units") + " " + std::to_string(k) + " with " + setting("alpha_w") + ": the weight groups must be the "
                      "block units, pass " + setting("unit_groups") + " " + std::to_string(k) + " (now " +
                      std::to_string(c.localist.unit_groups) + ")");
}

int64_t parse_info_anchor_count(const std::string& anchors) {
  const std::string n = anchors.substr(5);  // after "info:"
  int64_t count = 0;
  try {
    count = std::stoll(n);
  } catch (const std::exception&) {
    count = 0;
  }
  if (count < 1 || std::to_string(count) != n)
    throw ConfigError("anchors = '" + anchors + "': expected info:N with N a positive integer");
  return count;
}

void print_anchor_choice(std::ostream& out, const std::string& criterion, const nlohmann::json& tokens,
                         const std::vector<AnchorScore>& scores) {
  out << "anchors (" << criterion << ", KL of the block's continuation, nats):";
  for (size_t i = 0; i < std::min<size_t>(scores.size(), 12); ++i)
    out << " " << nlohmann::json(tokens[i].get<std::string>()).dump() << " " << std::fixed
        << std::setprecision(2) << scores[i].score_nats;
  out << (scores.size() > 12 ? " ..." : "") << "\n" << std::defaultfloat;
}

// anchors = info:N: the N token types most informative about their block's continuation
// (blocks/info_anchors.h), added to the rules as anchor tokens; the scores go to the log.
void choose_info_anchors(LocalistConfig& localist, const RunData& data, int64_t context,
                         std::ostream* out, const std::string& metrics_path) {
  if (localist.rules.is_object() && localist.rules.contains("anchors"))
    throw ConfigError("anchors = " + localist.anchors + " chooses anchors from the data, but the "
                      "rules file lists anchors too; use one or the other");
  InfoAnchorOptions opt;
  opt.n = parse_info_anchor_count(localist.anchors);
  LocalistConfig positions = localist;  // block ids only
  positions.anchors = "first";
  const auto scores = info_anchors(data.train, BlockMap::from_config(positions, *data.tokenizer),
                                   context, opt);
  if (scores.empty()) throw DataError("anchors = " + localist.anchors + ": no token type occurs " +
                                      std::to_string(opt.min_count) + " times with followers in its block");
  nlohmann::json tokens = nlohmann::json::array(), record = nlohmann::json::array();
  for (const auto& s : scores) {
    const auto text = data.tokenizer->token_text(static_cast<int32_t>(s.token));
    tokens.push_back(text);
    record.push_back({{"token", text}, {"score_nats", s.score_nats}, {"count", s.count}});
  }
  if (localist.rules.is_null()) localist.rules = nlohmann::json::object();
  localist.rules["anchors"] = tokens;
  MetricsLog(metrics_path).append({{"type", "anchors"}, {"step", 0}, {"criterion", localist.anchors},
                                   {"anchors", record}});
  if (out) print_anchor_choice(*out, localist.anchors, tokens, scores);
}

void check_split_sizes(const RunData& data, int64_t context) {
  if (data.train.size() < context + 1)
    throw DataError("train split has " + std::to_string(data.train.size()) +
                    " tokens, fewer than the context + 1 = " + std::to_string(context + 1) +
                    "; use a smaller " + setting("context_length") + " or more data");
  for (const auto& p : data.phases)
    if (p.tokens.size() < context + 1)
      throw DataError("phase '" + p.file + "' has " + std::to_string(p.tokens.size()) +
                      " tokens, fewer than the context + 1 = " + std::to_string(context + 1));
  if (data.valid.size() < 2)
    throw DataError("valid split has " + std::to_string(data.valid.size()) + " token" +
                    (data.valid.size() == 1 ? "" : "s") + "; at least 2 are needed to score one prediction");
}

}  // namespace

RunConfigs resolve_configs(const TrainRequest& req) {
  RunConfigs c{req.model, req.data, req.train, req.localist, req.recruit, 0, {}, {}};
  if (req.resume) {
    c.resumed = read_checkpoint_meta(find_checkpoint_dir(req.run_dir));
    c.model = c.resumed.model;
    c.data = c.resumed.data;
    c.train = c.resumed.train;
    c.localist = c.resumed.localist;
    c.recruit = c.resumed.recruit;
    c.start_step = c.resumed.step;
    if (req.max_steps_override > 0) c.train.max_steps = req.max_steps_override;
  }
  if (!req.init_from.empty()) {  // its shape and tokenizer
    if (req.resume) throw ConfigError(setting("init_from") + " starts a new run; it cannot be combined with " + setting("resume"));
    c.base = read_checkpoint_meta(find_checkpoint_dir(req.init_from));
    c.model = c.base.model;
    // the tokenizer is the base's: the run's data config says which it is
    c.data.tokenizer = c.base.data.tokenizer;
    c.data.tokenizer_vocab = c.base.data.tokenizer_vocab;
    c.data.tokenizer_files = c.base.data.tokenizer_files;
  }
  c.data.validate();
  c.train.validate();
  c.localist.validate();
  c.recruit.validate();
  check_recruitment(c.recruit, c.localist);
  if (c.recruit.enabled && !req.growth)
    throw ConfigError("block recruitment (--recruit) is available from `localist train` only");
  const bool weight_prox = StepSettings::of_run(c.train, c.localist).alpha_w > 0;
  if (weight_prox) unit_groups(c.model.n_embd, c.localist.unit_groups);  // validates K against d_model
  check_block_units(c);
  if (!c.train.train_only.empty() && (weight_prox || c.recruit.enabled))
    throw ConfigError(setting("train_only") + " freezes parameters: it cannot be combined with " + setting("alpha_w") + " (whose proximal "
                      "step moves W_Q/W_K) or " + setting("recruit") + " (which grows the model)");
  probe_model_shape(c.model);
  return c;
}

RunData load_train_data(const RunConfigs& cfg, const TrainRequest& req, Distributed* dist) {
  const std::string token_cache = (std::filesystem::path(req.run_dir) / "tokens").string();
  const nlohmann::json* given_tokenizer = req.resume ? &cfg.resumed.tokenizer
                                          : !req.init_from.empty() ? &cfg.base.tokenizer : nullptr;
  if (dist && !dist->is_root()) {  // rank 0 built the tokenizer and the token cache
    const auto shared = nlohmann::json::parse(dist->share("tokenizer", ""));
    return prepare_run_data(cfg.data, token_cache, &shared);
  }
  auto data = prepare_run_data(cfg.data, token_cache, given_tokenizer);
  if (dist) dist->share("tokenizer", data.tokenizer->to_json().dump());
  return data;
}

void settle_rules(RunConfigs& cfg, const RunData& data, bool new_run, std::ostream* out,
                  const std::string& metrics_path) {
  check_split_sizes(data, cfg.model.context_length);
  rules_of(cfg.localist, *data.tokenizer, &cfg.localist.rules);  // errors name the file's lines
  if (new_run && cfg.localist.anchors.rfind("info:", 0) == 0)
    choose_info_anchors(cfg.localist, data, cfg.model.context_length, out, metrics_path);
}

AdamWOptions adamw_options(const TrainConfig& t) {
  return {t.lr, t.beta1, t.beta2, 1e-8, t.weight_decay, t.optimizer == "sgd"};
}

BuiltModel build_model(const RunConfigs& cfg, const TrainRequest& req, const torch::Device& device) {
  torch::manual_seed(cfg.train.seed);
  BuiltModel b;
  b.model = Gpt(cfg.model);
  b.model->to(device);
  for (const auto& p : b.model->named_parameters()) b.trained.emplace_back(p.key(), p.value());
  if (!cfg.train.train_only.empty()) {  // the rest is frozen: no gradient, no optimizer state
    const std::regex keep(cfg.train.train_only);
    std::vector<std::pair<std::string, torch::Tensor>> kept;
    for (auto& [name, p] : b.trained) {
      const bool t = std::regex_search(name, keep);
      p.set_requires_grad(t);
      if (t) kept.emplace_back(name, p);
    }
    if (kept.empty()) throw ConfigError(setting("train_only") + " '" + cfg.train.train_only + "' matches no parameter");
    b.trained = kept;
  }
  for (const auto& [name, p] : b.trained) b.trainable += p.numel();
  if (req.resume) load_weights(find_checkpoint_dir(req.run_dir), b.model);
  else if (!req.init_from.empty()) load_weights(find_checkpoint_dir(req.init_from), b.model);
  return b;
}

}  // namespace localist
