#include "localist/recruit/recruiter.h"

#include <algorithm>
#include <cstdio>

#include "localist/data/batcher.h"
#include "localist/metrics/perplexity.h"
#include "localist/model/grow_heads.h"
#include "localist/recruit/candidate.h"
#include "localist/recruit/confusion.h"
#include "localist/recruit/criterion.h"
#include "localist/recruit/paired_bootstrap.h"
#include "localist/recruit/pointer_code.h"
#include "localist/train/lambda_schedule.h"
#include "localist/train/step.h"
#include "localist/blocks/rules.h"

namespace localist {
namespace {

using json = nlohmann::json;

// `o` with the dial at `lambda`: its logit bias (when on) and the penalty's per-layer lambdas.
LocalistObjective at_lambda(const LocalistObjective& o, const LocalistConfig& l, double lambda, int64_t n_layer) {
  LocalistObjective out = o;
  out.dial.lambda = l.logit_bias ? lambda : 0.0;
  out.layer_lambda = Dial{lambda, o.dial.kappa, o.dial.layer_power}.layer_lambdas(n_layer);
  return out;
}

// The objective of fine-tune step s: the decision's, or under --lambda-sample a lambda drawn for
// the step as training draws it (the same draws for a candidate and its control).
LocalistObjective objective_at(const LocalistObjective& at_hi, const LocalistConfig& l, uint64_t seed, int64_t s,
                               int64_t n_layer) {
  return l.lambda_sample.empty() ? at_hi : at_lambda(at_hi, l, lambda_at_step(l, s, seed), n_layer);
}

// Held-out NLL (nats/token) of `model` after rc.finetune_steps optimizer steps from `state`, the
// lr decaying from the run's to 0, on batches fixed by (seed, step): the candidate and its
// control see the same ones. The trainer's step (train/step.h); a non-finite step is skipped, as --on-nonfinite skip.
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
    const auto o = objective_at(objective, c.localist, seed + static_cast<uint64_t>(c.step), s, model->cfg.n_layer);
    const auto losses = accumulate_gradients(model, o, [&](int64_t) {
      return data::random_batch(c.data.train, train.batch_size, model->cfg.context_length, seed, c.step, s);
    }, settings);
    const auto g = step_gradient_norm(params, losses.ce);
    // the lr decays linearly to 0 (a cooldown): each arm settles where it is headed, instead of
    // being scored mid-bounce at the peak lr, which moved Delta L_data by +-0.05 nats between lengths
    const double lr = c.lr * static_cast<double>(rc.finetune_steps - s) / static_cast<double>(rc.finetune_steps);
    if (g.finite.item<bool>()) apply_update(model, opt, params, g.norm, lr, o, settings);
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

// Delta L_data - Delta L_pointer's 95 % interval: one paired bootstrap of both over the same
// held-out windows (prediction i and query i are the same position of the same window).
json joint_interval(const TokenScores& with, const TokenScores& without, const PointerSaving& p, int64_t window,
                    int64_t step) {
  const size_t n = std::min({with.nll.size(), without.nll.size(), p.per_query.size()});
  std::vector<float> shifted(with.nll.begin(), with.nll.begin() + static_cast<std::ptrdiff_t>(n));
  for (size_t i = 0; i < n; ++i) shifted[i] -= p.per_query[i];
  const std::vector<float> base(without.nll.begin(), without.nll.begin() + static_cast<std::ptrdiff_t>(n));
  const auto b = paired_bootstrap(shifted, base, window, 1000, 0.95, static_cast<uint64_t>(step));
  return {{"mean", b.mean}, {"lo", b.lo}, {"hi", b.hi}, {"level", b.level}, {"windows", b.windows},
          {"resamples", b.resamples}, {"predictions", n}};
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
          {"parent_types_M", t.rule.parent_types},
          {"block_types_m", t.rule.types()},
          {"block_sizes_m_i", t.rule.block_sizes},
          {"anchors_a_i", t.rule.anchors},
          {"rule_code_nats", rule_code_nats(t.rule)},
          {"delta_L_model_params", t.model_params_nats},
          {"delta_L_model_rule", t.model_rule_nats},
          {"delta_L_model", t.delta_model},
          {"L_data_without", t.data_without},
          {"L_data_with", t.data_with},
          {"delta_L_data", t.delta_data},
          {"delta_L_pointer", t.pointer},
          {"delta_L_total", t.delta_total},
          {"delta_L_total_hi", t.total_hi},
          {"theta", t.theta},
          {"threshold", t.threshold}};
}

std::string code_length_note(const RecruitConfig& rc) {
  const bool pointer = rc.criterion == "pointer";
  return "criterion " + rc.criterion + ": Delta L_model = (k/2) ln N / N + rule code / N (ln M + ln C(M, m) + ln m + "
         "ln C(m-1, j-1) + ln (m! / prod m_i!) - ln j! + sum_i [ln (m_i + 1) + ln C(m_i, a_i)], nats); L_data = held-out "
         "NLL after " + std::to_string(rc.finetune_steps) + " fine-tune steps, lr decaying linearly to 0 (" +
         std::to_string(rc.eval_tokens) + " predictions)" + (pointer ? "; Delta L_pointer = the control's attention code saved by the candidate's rules "
                                      "beyond its permutations (nats per read)" : "") +
         "; accept iff Delta L_total = Delta L_model + Delta L_data" + (pointer ? " - Delta L_pointer" : "") +
         " < -theta x blocks added" +
         (rc.criterion == "seed" ? "" : std::string(" and Delta L_total_hi (with the 95 % interval ends") +
                                            ") < 0");
}

// What the candidate's rules say: the parent's types, each new block's types and anchors.
RuleCode rule_code(const Candidate& cand, const json& rules, int64_t vocab) {
  RuleCode r;
  int64_t listed = 0, parent = 0;
  const auto blocks = rules_blocks(rules);
  for (size_t i = 0; i < blocks.size(); ++i) {
    listed += static_cast<int64_t>(blocks[i].second.size());
    if (static_cast<int64_t>(i) == cand.parent) parent = static_cast<int64_t>(blocks[i].second.size());
  }
  r.parent_types = cand.parent == 0 ? vocab - listed : parent;
  std::map<std::string, int64_t> anchors;
  for (const auto& b : cand.rules.value("blocks", json::array())) anchors[b.at("name").get<std::string>()] = static_cast<int64_t>(b.value("anchors", json::array()).size());
  r.block_sizes.push_back(static_cast<int64_t>(cand.tokens.size()));
  r.anchors.push_back(anchors[cand.name]);
  for (const auto& b : cand.more) r.block_sizes.push_back(static_cast<int64_t>(b.tokens.size())), r.anchors.push_back(anchors[b.name]);
  return r;
}

// The partition alone, for the pointer's code: every block reads itself (and the shared block,
// if any); "other" stays a hub. Targets that follow the surrounding text ("@context") would let
// any partition's readable set follow the keys a head reads most (the locally commonest block),
// so a permutation would no longer read at chance (measured: docs/recruitment.md).
json partition_only(json rules) {
  rules["targets"] = json{{"other", kEveryBlock}};
  rules.erase("context_breaks");
  return rules;
}

// Delta L_pointer (recruit/pointer_code.h): the candidate against 8 permutations of its types,
// read from `control`'s attention.
PointerSaving candidate_pointer(const Candidate& cand, Gpt control, const GrowthContext& c,
                                int64_t eval_tokens) {
  const auto& tok = *c.data.tokenizer;
  std::vector<int64_t> by_id(static_cast<size_t>(c.data.train.vocab_size()), 0);
  for (int64_t i = 0; i < c.data.train.size(); ++i) ++by_id[static_cast<size_t>(c.data.train[i])];
  std::unordered_map<std::string, int64_t> count;  // by text: rules name tokens by their texts
  for (size_t id = 0; id < by_id.size(); ++id)
    if (by_id[id] > 0) count[tok.token_text(static_cast<int32_t>(id))] += by_id[id];
  std::vector<std::string> names{cand.name}, extra;
  for (const auto& b : cand.more) names.push_back(b.name);
  if (cand.more.empty()) {  // one new block: it trades types with the rest of its parent
    if (cand.parent > 0) names.push_back(rules_blocks(cand.rules).at(static_cast<size_t>(cand.parent)).first);
    else for (const auto& t : token_texts(tok, cand.stay)) extra.push_back(t.get<std::string>());
  }
  std::vector<bool> pool(static_cast<size_t>(tok.vocab_size()), false);  // the types the permutations move
  std::unordered_map<std::string, std::vector<int32_t>> ids_of;
  for (int32_t id = 0; id < static_cast<int32_t>(tok.vocab_size()); ++id) ids_of[tok.token_text(id)].push_back(id);
  const auto add = [&](const std::string& text) {
    for (int32_t id : ids_of[text]) pool[static_cast<size_t>(id)] = true;
  };
  for (const auto& [name, texts] : rules_blocks(cand.rules))
    if (std::find(names.begin(), names.end(), name) != names.end())
      for (const auto& t : texts) add(t);
  for (const auto& t : extra) add(t);
  LocalistConfig lc = c.localist;
  lc.rules_file.clear();
  lc.rules = partition_only(cand.rules);
  std::vector<BlockMap> sets{BlockMap::from_config(lc, tok)};
  for (uint64_t k = 1; k <= 8; ++k) {
    const uint64_t seed = c.train.seed * 7919 + static_cast<uint64_t>(c.step) * 31 + k;
    lc.rules = partition_only(permuted_rules(cand.rules, names, extra, count, 8, seed));
    sets.push_back(BlockMap::from_config(lc, tok));
  }
  return pointer_saving(control, *c.objective.blocks, c.objective.dial, sets, pool, c.data.valid, c.train.batch_size,
                        eval_tokens, static_cast<uint64_t>(c.step));
}

std::string decision_line(const CriterionTerms& t, const Candidate& cand) {
  std::string second;
  for (const auto& b : cand.more) second += " + " + b.name + " " + std::to_string(b.tokens.size()) + " types";
  if (second.size() > 200) second = " + " + std::to_string(cand.more.size()) + " more blocks";
  char buf[520];
  const bool gain = t.delta_total < -t.threshold;
  std::snprintf(buf, sizeof buf,
                "%s %s (%zu types%s from %s, %zu anchors; dL_model %+.4f, dL_data %+.4f, dL_pointer %+.4f, "
                "dL_total %+.4f %s -%.4f, 95 %% upper end %+.4f %s 0 nats/token)",
                t.accept ? "accept" : "reject", cand.name.c_str(), cand.tokens.size(), second.c_str(),
                cand.parent_name.c_str(), cand.anchors.size(), t.delta_model, t.delta_data, t.pointer,
                t.delta_total, gain ? "<" : ">=", t.threshold, t.total_hi, t.confident ? "<" : ">=");
  return buf;
}

// The decision's objective with the dial at the highest lambda training uses.
LocalistObjective at_top_of_dial(const LocalistObjective& o, const LocalistConfig& l, int64_t n_layer) {
  return l.lambda_sample.empty() ? o : at_lambda(o, l, highest_training_lambda(l), n_layer);
}

}  // namespace

Recruiter::Recruiter(const GrowthSetup& setup)
    : rc_(setup.recruit), audit_(setup.audit_path), vocab_(setup.vocab), p_max_(max_recruitments(setup.positions, rc_.h_min, rc_.theta)) {
  audit_.truncate_after(setup.start_step);
  for (const auto& r : audit_.read_until(setup.start_step)) {
    if (r.value("decision", "") == "accept")
      accepted_ += r.value("blocks_after", int64_t{0}) - r.value("blocks_before", int64_t{0});
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

std::optional<Grown> Recruiter::decide(const GrowthContext& given) {
  // Under --lambda-sample a candidate is fine-tuned across the dial, as training goes on, and
  // scored at the top of the range: where the blocks act (at lambda 0 they change nothing).
  const LocalistObjective objective = at_top_of_dial(given.objective, given.localist, given.model->cfg.n_layer);
  const GrowthContext c{given.step, given.model, given.optimizer, given.localist, objective,
                        given.lr, given.data, given.train, given.out};
  const int64_t step = c.step;
  Gpt& model = c.model;
  const auto& train = c.train;
  const json& rules = c.localist.rules;
  const int64_t n_blocks = static_cast<int64_t>(rules_blocks(rules).size());
  json rec = {{"type", "recruit"}, {"step", step}, {"p_max", p_max_}, {"blocks_before", n_blocks},
              {"units", "nats per token (epsilon and entropies: nats)"}};
  auto say = [&](const std::string& line) {
    if (c.out) *c.out << "recruit step " << step << ": " << line << "\n" << std::flush;
  };
  const auto cap = [&](const std::string& why) {
    rec["decision"] = "cap";
    rec["reason"] = why;
    audit_.append(rec);
    say(why);
    return std::nullopt;
  };
  if (accepted_ >= p_max_) return cap("p_max = " + std::to_string(p_max_) + " blocks already recruited");
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
  const int64_t added = 1 + static_cast<int64_t>(cand->more.size());
  if (accepted_ + added > p_max_)
    return cap(std::to_string(added) + " more blocks would pass p_max = " + std::to_string(p_max_) + " (" +
               std::to_string(accepted_) + " recruited)");

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
  auto t = recruitment_terms(grown->num_params() - model->num_params(), c.data.train.size(), vocab_,
                             rule_code(*cand, rules, vocab_), without, with, rc_.theta);
  rec["delta_L_data_interval"] = data_interval(scores_with, scores_without, model->cfg.context_length, step);
  double hi = rec["delta_L_data_interval"]["hi"].get<double>();
  if (rc_.criterion == "pointer") {
    // the pointer's code pays only where the partition surely names where the model reads (its
    // interval above 0); otherwise it would add only its noise, and the likelihood decides alone.
    // Read from the control after its fine-tune: the point at which Delta L_data compares the arms
    // (before it, a longer fine-tune let the control catch up in likelihood while the pointer
    // stayed at the decision step's value, and decisions flipped with the fine-tune's length).
    const auto p = candidate_pointer(*cand, control, c, rc_.eval_tokens);
    if (p.lo > 0) {
      add_pointer(t, p.saving);
      rec["delta_L_data_minus_pointer_interval"] = joint_interval(scores_with, scores_without, p, model->cfg.context_length, step);
      hi = rec["delta_L_data_minus_pointer_interval"]["hi"].get<double>();
    }
    rec["pointer"] = {{"delta_L_pointer", p.saving}, {"candidate_nats", p.candidate}, {"permuted_mean_nats", p.null_mean},
                      {"permuted_sd_nats", p.null_sd}, {"lo", p.lo}, {"hi", p.hi}, {"off_target_eta", p.eta},
                      {"permutations", p.permutations}, {"queries", p.queries}, {"windows", p.windows},
                      {"used", p.lo > 0},
                      {"units", "nats per token per attention read (mean over layers and heads)"}};
  }
  if (rc_.criterion != "seed") require_confidence(t, hi);
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
  accepted_ += added;
  rec["decision"] = "accept";
  rec["blocks_after"] = n_blocks + added;
  rec["recruited"] = accepted_;
  audit_.append(rec);
  say(line + "; blocks " + std::to_string(n_blocks + added) + ", p_max " + std::to_string(p_max_));
  return Grown{grown, grown_state, cand->rules};
}

}  // namespace localist
