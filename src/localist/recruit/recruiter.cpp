#include "localist/recruit/recruiter.h"

#include <cstdio>

#include "localist/data/batcher.h"
#include "localist/metrics/perplexity.h"
#include "localist/model/grow_heads.h"
#include "localist/recruit/candidate.h"
#include "localist/recruit/confusion.h"
#include "localist/recruit/criterion.h"
#include "localist/recruit/paired_bootstrap.h"
#include "localist/train/step.h"
#include "localist/blocks/rules.h"

namespace localist {
namespace {

using json = nlohmann::json;

// Held-out NLL (nats/token) of `model` after rc.finetune_steps optimizer steps from `state` at
// a constant lr, on batches fixed by (seed, step): the candidate and its control see the same
// ones. The trainer's step (train/step.h); a non-finite step is skipped, as --on-nonfinite skip.
// `scores` receives each held-out prediction's NLL (for the bootstrap interval).
double finetuned_nll(Gpt model, const TensorMap& state, const LocalistObjective& objective,
                     const GrowthContext& c, const RecruitConfig& rc, TokenScores& scores) {
  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& p : model->named_parameters()) named.emplace_back(p.key(), p.value());
  const auto& train = c.train;
  AdamW opt(named, {c.lr, train.beta1, train.beta2, 1e-8, train.weight_decay});
  opt.load_state(state);
  const auto params = model->parameters();
  const auto device = params.front().device();
  const uint64_t seed = train.seed ^ 0x7265637275697400ULL;  // "recruit": batches apart from training's
  torch::manual_seed(seed + static_cast<uint64_t>(c.step));  // both arms draw the same dropout
  auto settings = StepSettings::of_run(train, c.localist);
  settings.micro_batches = 1;  // a short fine-tune: one batch per step
  model->train();
  for (int64_t s = 0; s < rc.finetune_steps; ++s) {
    opt.zero_grad();
    const auto losses = accumulate_gradients(model, objective, [&](int64_t) {
      return data::random_batch(c.data.train, train.batch_size, model->cfg.context_length, seed, c.step, s);
    }, settings);
    const auto g = step_gradient_norm(params, losses.ce);
    if (g.finite.item<bool>()) apply_update(model, opt, params, g.norm, c.lr, objective, settings);
  }
  const auto r = evaluate(model, c.data.valid, train.batch_size, device, rc.eval_tokens, &scores,
                          {objective.blocks, objective.dial, nullptr});
  scores.nll.resize(r.tokens + 1);  // positions 1..tokens were scored
  scores.nll.erase(scores.nll.begin());
  return r.nll;
}

// Delta L_data's 95 % interval: a paired bootstrap over the held-out context windows.
json data_interval(const TokenScores& with, const TokenScores& without, int64_t window, int64_t step) {
  const auto b = paired_bootstrap(with.nll, without.nll, window, 1000, 0.95, static_cast<uint64_t>(step));
  return {{"delta_L_data_mean", b.mean}, {"lo", b.lo}, {"hi", b.hi}, {"level", b.level},
          {"windows", b.windows}, {"resamples", b.resamples}};
}

void record_candidate(json& rec, const Candidate& cand, const data::Tokenizer& tok) {
  rec["key"] = cand.key();
  rec["parent"] = cand.parent_name;
  rec["block"] = cand.name;
  rec["types"] = cand.tokens.size();
  rec["tokens"] = token_texts(tok, cand.tokens);
  rec["stay"] = cand.stay.size();
  rec["anchors"] = cand.anchors;
  if (!cand.more.empty()) {
    json more = json::array();
    for (const auto& b : cand.more)
      more.push_back({{"block", b.name}, {"types", b.tokens.size()}, {"tokens", token_texts(tok, b.tokens)}});
    rec["more_blocks"] = more;
  }
  rec["split_quality"] = cand.split_quality;
}

// Every term of the criterion under the name the audit log gives it.
json terms_record(const CriterionTerms& t) {
  return {{"params_added_k", t.params_added},
          {"train_tokens_N", t.train_tokens},
          {"vocab_V", t.vocab},
          {"block_types_m", t.block_types},
          {"block_sizes_m_i", t.block_sizes},
          {"delta_L_model_params", t.model_params_nats},
          {"delta_L_model_rule", t.model_rule_nats},
          {"delta_L_model", t.delta_model},
          {"L_data_without", t.data_without},
          {"L_data_with", t.data_with},
          {"delta_L_data", t.delta_data},
          {"delta_L_total", t.delta_total},
          {"delta_L_total_hi", t.total_hi},
          {"theta", t.theta}};
}

std::string code_length_note(const RecruitConfig& rc) {
  return "Delta L_model = (k/2) ln N / N + ln C(V, m) / N (+ ln (m! / prod m_i!) / N for several blocks); L_data = held-out NLL after " +
         std::to_string(rc.finetune_steps) + " fine-tune steps (" + std::to_string(rc.eval_tokens) +
         " predictions); accept iff Delta L_total < -theta and Delta L_total_hi (Delta L_model + the 95 % "
         "upper end of Delta L_data) < 0";
}

std::string decision_line(const CriterionTerms& t, const Candidate& cand) {
  std::string second;
  for (const auto& b : cand.more) second += " + " + b.name + " " + std::to_string(b.tokens.size()) + " types";
  if (second.size() > 200) second = " + " + std::to_string(cand.more.size()) + " more blocks";
  char buf[480];
  const bool gain = t.delta_total < -t.theta;
  std::snprintf(buf, sizeof buf,
                "%s %s (%zu types%s from %s, %zu anchors; dL_model %+.4f, dL_data %+.4f, dL_total "
                "%+.4f %s -theta = %.4f, 95 %% upper end %+.4f %s 0 nats/token)",
                t.accept ? "accept" : "reject", cand.name.c_str(), cand.tokens.size(), second.c_str(),
                cand.parent_name.c_str(), cand.anchors.size(), t.delta_model, t.delta_data,
                t.delta_total, gain ? "<" : ">=", -t.theta, t.total_hi, t.confident ? "<" : ">=");
  return buf;
}

}  // namespace

Recruiter::Recruiter(const GrowthSetup& setup)
    : rc_(setup.recruit), audit_(setup.audit_path), vocab_(setup.vocab),
      train_tokens_(setup.train_tokens), p_max_(max_recruitments(setup.vocab, rc_.h_min, rc_.theta)) {
  audit_.truncate_after(setup.start_step);
  for (const auto& r : audit_.read_until(setup.start_step)) {
    if (r.value("decision", "") == "accept") ++accepted_;
    if (r.contains("key") && r.at("key").is_string() && r.contains("step") && r.at("step").is_number_integer())
      decided_[r.at("key").get<std::string>()] = r.at("step").get<int64_t>();
  }
}

std::set<std::string> Recruiter::tried_at(int64_t step) const {
  std::set<std::string> out;
  for (const auto& [key, at] : decided_)
    if (step - at < rc_.retry_after) out.insert(key);
  return out;
}

bool Recruiter::due(int64_t step) const {
  return rc_.enabled && step >= rc_.start && (step - rc_.start) % rc_.interval == 0;
}

std::string Recruiter::describe() const {
  return "a decision every " + std::to_string(rc_.interval) + " steps from step " +
         std::to_string(rc_.start) + ", theta " + json(rc_.theta).dump() + " nats/token, p_max " +
         std::to_string(p_max_) + " (" + std::to_string(accepted_) + " recruited so far); audit log " +
         audit_.path();
}

GrowthHookFactory recruiter_factory() {
  return [](const GrowthSetup& setup) { return std::make_unique<Recruiter>(setup); };
}

std::optional<Grown> Recruiter::decide(const GrowthContext& c) {
  const int64_t step = c.step;
  Gpt& model = c.model;
  const auto& objective = c.objective;
  const auto& train = c.train;
  const json& rules = c.localist.rules;
  const int64_t n_blocks = static_cast<int64_t>(rules_blocks(rules).size());
  json rec = {{"type", "recruit"}, {"step", step}, {"p_max", p_max_}, {"blocks_before", n_blocks},
              {"units", "nats per token (epsilon and entropies: nats)"}};
  auto say = [&](const std::string& line) {
    if (c.out) *c.out << "recruit step " << step << ": " << line << "\n" << std::flush;
  };
  if (accepted_ >= p_max_) {
    rec["decision"] = "cap";
    rec["reason"] = "p_max = " + std::to_string(p_max_) + " blocks already recruited";
    audit_.append(rec);
    say(rec["reason"].get<std::string>());
    return std::nullopt;
  }
  const auto& tok = *c.data.tokenizer;
  const auto confusion = find_confused(model, *objective.blocks, n_blocks, objective.dial, c.data.train,
                                       train.batch_size, rc_.probe_batches, train.seed ^ static_cast<uint64_t>(step),
                                       rc_.epsilon);
  rec["queries"] = confusion.queries;
  rec["confused_queries"] = confusion.confused;
  rec["mean_attention_entropy_nats"] = confusion.mean_entropy_nats;
  rec["confused_per_block"] = confusion.confused_in_block;
  const auto cand = propose_candidate(confusion, rules, tok, c.data.train, model->cfg.context_length, rc_, tried_at(step));
  if (!cand) {
    rec["decision"] = "none";
    rec["reason"] = "no split left to try (those decided in the last " +
                    std::to_string(rc_.retry_after) + " steps wait): no block with >= " + std::to_string(rc_.min_confused) +
                    " confused queries and >= 2 confused types seen >= " +
                    std::to_string(rc_.min_count) + " times";
    audit_.append(rec);
    say("no candidate (" + std::to_string(confusion.confused) + " of " +
        std::to_string(confusion.queries) + " queries confused)");
    return std::nullopt;
  }
  record_candidate(rec, *cand, tok);

  // the candidate: grown capacity, its rules; the control: the model as it is
  LocalistConfig lc = c.localist;  // the run's settings (anchors), the candidate's rules
  lc.rules_file.clear();
  lc.rules = cand->rules;
  const BlockMap cand_blocks = BlockMap::from_config(lc, tok);
  LocalistObjective cand_objective = objective;
  cand_objective.blocks = &cand_blocks;
  const uint64_t grow_seed = train.seed * 1000003ULL + static_cast<uint64_t>(step) + 17;
  Gpt grown = grow_heads(model, rc_.heads, grow_seed);
  const auto grown_state = grow_optimizer_state(c.optimizer.state(), model->cfg, grown->cfg);
  // copies (grow by 0 heads = a deep copy), so the trainer's model and state stay untouched
  Gpt control = grow_heads(model, 0, grow_seed), candidate = grow_heads(grown, 0, grow_seed);
  const auto control_state = grow_optimizer_state(c.optimizer.state(), model->cfg, model->cfg);
  const auto candidate_state = grow_optimizer_state(grown_state, grown->cfg, grown->cfg);
  TokenScores scores_without, scores_with;
  const double without = finetuned_nll(control, control_state, objective, c, rc_, scores_without);
  const double with = finetuned_nll(candidate, candidate_state, cand_objective, c, rc_, scores_with);
  const auto sizes = cand->block_sizes();
  const int64_t added = static_cast<int64_t>(sizes.size());
  int64_t m = 0;
  for (auto mi : sizes) m += mi;
  auto t = recruitment_terms(grown->num_params() - model->num_params(), train_tokens_, vocab_, m,
                             without, with, rc_.theta, added > 1 ? sizes : std::vector<int64_t>{});
  rec["delta_L_data_interval"] = data_interval(scores_with, scores_without, model->cfg.context_length, step);
  require_confidence(t, rec["delta_L_data_interval"]["hi"].get<double>());
  rec["terms"] = terms_record(t);
  rec["code_length"] = code_length_note(rc_);
  decided_[cand->key()] = step;
  const std::string line = decision_line(t, *cand);
  if (!t.accept) {
    rec["decision"] = "reject";
    rec["blocks_after"] = n_blocks;
    audit_.append(rec);
    say(line);
    return std::nullopt;
  }
  ++accepted_;
  rec["decision"] = "accept";
  rec["blocks_after"] = n_blocks + added;
  rec["recruited"] = accepted_;
  audit_.append(rec);
  say(line + "; blocks " + std::to_string(n_blocks + added) + ", p_max " + std::to_string(p_max_));
  return Grown{grown, grown_state, cand->rules};
}

}  // namespace localist
