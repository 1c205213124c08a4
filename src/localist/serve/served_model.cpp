#include "localist/serve/served_model.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>

#include "localist/blocks/block_map.h"
#include "localist/core/setting.h"
#include "localist/data/utf8.h"
#include "localist/hierarchy/hierarchy.h"
#include "localist/metrics/text_explain.h"
#include "localist/model/dial.h"
#include "localist/model/log_probs.h"
#include "localist/model/sampler.h"

namespace localist::serve {
namespace {

using json = nlohmann::json;

// Bytes at the end of `text` not to send yet: the start of a stop sequence, or an unfinished
// UTF-8 character (a byte-level tokenizer may emit half of one).
size_t held_back(const std::string& text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const auto& s : stops)
    for (size_t k = std::min(s.size() - 1, text.size()); k > hold; --k)
      if (text.compare(text.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
  if (!text.empty()) {
    const size_t last = data::utf8_char_start(text, text.size() - 1);
    if (data::utf8_sequence_length(text, last) == 0) hold = std::max(hold, text.size() - last);
  }
  return std::min(hold, text.size());
}

// Where the first stop sequence begins in `text`, or npos.
size_t first_stop(const std::string& text, const std::vector<std::string>& stops) {
  size_t at = std::string::npos;
  for (const auto& s : stops) at = std::min(at, text.find(s));
  return at;
}

// The k most probable next tokens under `probs` (V).
json alternatives(const torch::Tensor& probs, const data::Tokenizer& tok, int64_t k) {
  const auto top = probs.topk(std::min<int64_t>(k, probs.size(0)));
  const auto p = std::get<0>(top), id = std::get<1>(top);
  json out = json::array();
  for (int64_t i = 0; i < p.size(0); ++i)
    out.push_back({{"token", tok.token_text(static_cast<int32_t>(id[i].item<int64_t>()))},
                   {"p", p[i].item<double>()}});
  return out;
}

// The prompt as the model read it, with whatever joins it to the completion's text (a word
// tokenizer's space): the decoded whole less the completion's own decoding, where that ends it.
std::string echoed_prompt(const data::Tokenizer& tok, const std::vector<int32_t>& prompt, const std::vector<int32_t>& made) {
  std::vector<int32_t> all = prompt;
  all.insert(all.end(), made.begin(), made.end());
  const std::string whole = tok.decode(all), own = tok.decode(made);
  if (whole.size() >= own.size() && whole.compare(whole.size() - own.size(), own.size(), own) == 0)
    return whole.substr(0, whole.size() - own.size());
  return tok.decode(prompt);
}

// Token ids a client sent (already >= 0): each inside the vocabulary, or a 400 naming the field.
void check_ids(const std::vector<int32_t>& ids, int64_t V, const std::string& field) {
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] >= V)
      throw RequestError(400, field, field + ": token id " + std::to_string(ids[i]) + " at " + std::to_string(i) +
                                         " is outside the vocabulary [0, " + std::to_string(V) + ")");
}

}  // namespace

ServedModel::ServedModel(std::vector<ServedMember> members, std::string routing, int64_t prefix,
                         torch::Device device, std::string name,
                         const std::vector<std::pair<std::string, std::string>>& rules_files)
    : members_(std::move(members)), routing_(std::move(routing)), prefix_(prefix), device_(device),
      name_(std::move(name)) {
  if (members_.empty()) throw InternalError("ServedModel: no model");
  for (auto& m : members_) {
    member_blocks_.push_back(BlockMap::from_config(m.localist, tokenizer()));  // must resolve now
    m.lm.model->eval();
  }
  for (const auto& [set, path] : rules_files) {
    if (set.empty() || set == "default") throw ConfigError(setting("rules_set") + ": name a set NAME=FILE (not \"default\")");
    if (watched_.count(set)) throw ConfigError(setting("rules_set") + ": \"" + set + "\" is given twice");
    watched_[set] = std::make_unique<RulesWatch>(members_[0].localist, path, tokenizer());
  }
}

void ServedModel::batch_steps(int64_t max_batch) {
  batcher_ = std::make_unique<Batcher>(max_batch, device_);
}

json ServedModel::batching() const {
  if (!batcher_) return nullptr;
  return {{"max_batch", batcher_->max_batch()}, {"forwards", batcher_->forwards()}, {"steps", batcher_->steps()}};
}

int64_t ServedModel::context_length() const {
  int64_t T = members_[0].lm.model->cfg.context_length;
  for (const auto& m : members_) T = std::min(T, m.lm.model->cfg.context_length);
  return T;
}

json ServedModel::describe() const {
  json sets = json::array({"default"});
  for (const auto& [set, _] : watched_) sets.push_back(set);
  json members = json::array();
  for (const auto& m : members_) {
    const auto dial = Dial::from_config(m.localist);
    const auto& cfg = m.lm.model->cfg;
    members.push_back({{"name", m.name}, {"n_layer", cfg.n_layer}, {"n_head", cfg.n_head},
                       {"context_length", cfg.context_length}, {"blocks", m.localist.blocks},
                       {"lambda", dial.lambda}, {"kappa", kappa_to_json(dial.kappa)}});
  }
  json l = {{"context_length", context_length()}, {"vocab_size", members_[0].lm.model->cfg.vocab_size},
            {"rules_sets", sets}, {"members", members}};
  if (members_.size() > 1) l["routing"] = routing_, l["prefix"] = prefix_;
  return {{"id", name_}, {"object", "model"}, {"owned_by", "localist"}, {"localist", l}};
}

json ServedModel::tokenizer_info() const {
  const auto& tok = tokenizer();
  json eos = nullptr;
  for (const std::string s : {"<|endoftext|>", "</s>", "\n"})
    if (const auto ids = tok.encode(s); ids.size() == 1 && tok.decode(ids) == s) {
      eos = s;
      break;
    }
  return {{"tokenizer_class", tok.kind()}, {"eos_token", eos}, {"bos_token", nullptr}, {"pad_token", nullptr},
          {"model_max_length", context_length()}, {"vocab_size", tok.vocab_size()}};
}

json ServedModel::tokenize(const std::string& text) const {
  const auto ids = tokenizer().encode(text);
  return {{"tokens", ids}, {"count", ids.size()}, {"max_model_len", context_length()}};
}

json ServedModel::detokenize(const std::vector<int32_t>& ids) const {
  check_ids(ids, tokenizer().vocab_size(), "tokens");
  return {{"prompt", tokenizer().decode(ids)}};
}

void ServedModel::route(PreparedRequest& p) {
  const int64_t n = static_cast<int64_t>(p.prompt.size());
  // predictions the router reads: hard, the prefix; soft, the whole prompt (router.h)
  const int64_t listened = routing_ == "soft" ? n - 1 : std::min<int64_t>(prefix_, n - 1);
  std::vector<double> log_post(members_.size(), 0.0);          // a uniform prior
  for (size_t k = 0; k < members_.size() && listened > 0; ++k) {
    const auto nll = segment_nll(members_[k].lm, member_blocks_[k], p.prompt);  // (n - 1,)
    log_post[k] = -nll.slice(0, 0, listened).sum().item<double>();
  }
  const double top = *std::max_element(log_post.begin(), log_post.end());
  double z = 0;
  for (double v : log_post) z += std::exp(v - top);
  json posterior = json::object();
  for (size_t k = 0; k < members_.size(); ++k) {
    posterior[members_[k].name] = std::exp(log_post[k] - top) / z;
    if (log_post[k] > log_post[p.member]) p.member = k;  // ties: the earlier member (the base first)
  }
  p.routing = {{"routing", routing_}, {"member", members_[p.member].name}, {"posterior", posterior},
               {"predictions_read", listened}};
  p.log_posterior = log_post;
}

PreparedRequest ServedModel::prepare(const CompletionRequest& r) {
  PreparedRequest p{r, r.prompt_ids.empty() ? tokenizer().encode(r.prompt) : r.prompt_ids, {}, BlockMap::window(1),
                    "default", "default", {}, 0, 0, nullptr, {}};
  const int64_t T = context_length(), n = static_cast<int64_t>(p.prompt.size()), V = tokenizer().vocab_size();
  if (n == 0) throw RequestError(400, "prompt", "prompt: encodes to no tokens");
  check_ids(r.prompt_ids, V, "prompt");
  if (n > T)
    throw RequestError(400, "prompt", "prompt: " + std::to_string(n) + " tokens, longer than the model's context of " +
                                          std::to_string(T));
  // the audit reads the whole sequence in one causal window, exactly as it was sampled
  if (r.explain && n + r.max_tokens > T)
    throw RequestError(400, "max_tokens", "max_tokens: with explain, prompt (" + std::to_string(n) +
                                              " tokens) + max_tokens must fit the context of " + std::to_string(T));
  // the scores come from one forward of prompt and completion (no token may have been cropped away)
  if (r.logprobs >= 0 && n + r.max_tokens > T + 1)
    throw RequestError(400, "max_tokens", "max_tokens: with logprobs, prompt (" + std::to_string(n) +
                                              " tokens) + max_tokens must be at most the context of " +
                                              std::to_string(T) + " + 1");
  if (r.logprobs >= 0 && routing_ == "soft" && members_.size() > 1)
    throw RequestError(400, "logprobs", "logprobs: a soft hierarchy's tokens come from a mixture that is not "
                                        "scored yet; ask a single run or hard routing");
  if (members_.size() > 1) route(p);
  const auto& m = members_[p.member];
  const bool default_rules = r.rules.empty() || r.rules == "default";
  if (routing_ == "soft" && members_.size() > 1 && !default_rules)
    throw RequestError(400, "rules", "rules: a soft hierarchy mixes its members, each under its own rules; "
                                     "rules sets apply to a single run or hard routing");
  if (default_rules) {
    p.config = m.localist, p.blocks = member_blocks_[p.member];
  } else {
    std::lock_guard<std::mutex> lock(rules_mutex_);
    const auto it = watched_.find(r.rules);
    if (it == watched_.end()) {
      std::string known = "default";
      for (const auto& [set, _] : watched_) known += ", " + set;
      throw RequestError(400, "rules", "rules: no rules set \"" + r.rules + "\" (loaded: " + known + ")");
    }
    it->second->poll();  // an edit that does not parse keeps the rules in force (RulesWatch)
    p.config = it->second->config(), p.blocks = it->second->blocks();
    p.rules = r.rules, p.rules_version = r.rules + "@" + std::to_string(it->second->reloads());
  }
  p.config = apply_setting(p.config, {r.lambda, r.kappa, "", nullptr});  // as the CLI and Python do
  p.dial = Dial::from_config(p.config);
  p.seed = r.seed ? *r.seed : std::random_device{}();
  return p;
}

std::vector<MixtureMember> ServedModel::mixture(const PreparedRequest& p) {
  std::vector<MixtureMember> out;
  for (size_t k = 0; k < members_.size(); ++k) {
    const Dial dial = Dial::from_config(apply_setting(members_[k].localist, {p.request.lambda, p.request.kappa, "", nullptr}));
    out.push_back({&members_[k].lm.model, &member_blocks_[k], dial});
  }
  return out;
}

Completion ServedModel::run(const PreparedRequest& p, const PieceCallback& on_piece,
                            std::chrono::steady_clock::time_point deadline) {
  const auto& r = p.request;
  const auto& tok = tokenizer();
  SampleOptions opt;
  opt.max_new_tokens = r.max_tokens, opt.temperature = r.temperature, opt.top_k = r.top_k;
  opt.seed = p.seed, opt.blocks = &p.blocks, opt.dial = p.dial;
  if (batcher_) opt.logits = batcher_->source();
  Completion c;
  c.prompt_tokens = static_cast<int64_t>(p.prompt.size());
  c.seed = p.seed, c.lambda = p.dial.lambda, c.kappa = p.dial.kappa;
  c.rules = p.rules, c.rules_version = p.rules_version, c.routing = p.routing;
  c.finish_reason = "length";
  std::vector<int32_t> made;
  std::vector<torch::Tensor> dists;           // each token's distribution, for the audit's alternatives
  std::vector<size_t> audited;                // the member audited for each token
  std::vector<std::vector<double>> weights;   // a mixture's weights per token
  size_t sent = 0;
  bool cancelled = false;
  // streamed with explain: each token audited as it is made (a forward of the sequence so far),
  // its record sent with the next piece of text; else the whole sequence is audited at the end
  const bool streamed_audit = r.explain && r.stream && on_piece;
  Audit trail;
  json waiting = json::array();  // streamed records not sent yet
  const auto on_token = [&](int32_t next, const torch::Tensor& probs, size_t member) {
    made.push_back(next);
    c.last_token = std::chrono::steady_clock::now();
    if (made.size() == 1) c.first_token = c.last_token;
    json records = json::array();  // streamed: this token's audit, with the next piece
    if (r.explain) {
      dists.push_back(probs), audited.push_back(member);
      if (streamed_audit) {
        std::vector<int32_t> ids = p.prompt;
        ids.insert(ids.end(), made.begin(), made.end());
        auto one = audit(p, ids, made.size() - 1, dists, audited, weights);
        trail.rows.rows.push_back(one.rows.rows.front());
        trail.rows.max_entropy_bits_sum += one.rows.max_entropy_bits_sum;
        trail.records.push_back(one.records.front()), waiting.push_back(one.records.front());
      }
    }
    c.text = tok.decode(made);
    if (const size_t at = first_stop(c.text, r.stop); at != std::string::npos) {
      c.text.resize(at);
      c.finish_reason = "stop";
    }
    const size_t ready = c.finish_reason == "stop" ? c.text.size() : c.text.size() - held_back(c.text, r.stop);
    if (ready > sent && on_piece) {
      cancelled = !on_piece(c.text.substr(sent, ready - sent), waiting);
      waiting = json::array();
    }
    sent = std::max(sent, ready);
    c.timed_out = std::chrono::steady_clock::now() > deadline;
    return c.finish_reason != "stop" && !c.timed_out && !cancelled;
  };
  std::vector<int32_t> ids;
  if (routing_ == "soft" && members_.size() > 1) {
    ids = sample_mixture(mixture(p), p.prompt, p.log_posterior, opt, device_,
                         [&](int32_t next, const torch::Tensor& probs, const std::vector<double>& w) {
                           if (r.explain) weights.push_back(w);
                           const auto top = std::max_element(w.begin(), w.end()) - w.begin();
                           return on_token(next, probs, static_cast<size_t>(top));
                         });
  } else {
    ids = sample(members_[p.member].lm.model, p.prompt, opt, device_,
                 [&](int32_t next, const torch::Tensor& probs) { return on_token(next, probs, p.member); });
  }
  if ((sent < c.text.size() || !waiting.empty()) && on_piece && !cancelled) on_piece(c.text.substr(sent), waiting);
  c.cancelled = cancelled;
  c.completion_tokens = static_cast<int64_t>(made.size());
  if (r.echo) c.echoed = echoed_prompt(tok, p.prompt, made);
  if (r.logprobs >= 0 && !cancelled) c.scored = scores(p, made);
  if (r.explain && !cancelled) {
    if (!streamed_audit) trail = audit(p, ids, 0, dists, audited, weights);
    c.explanation = trail.records, c.summary = summary(trail.rows, audited);
  }
  return c;
}

std::vector<ScoredToken> ServedModel::scores(const PreparedRequest& p, const std::vector<int32_t>& made) {
  std::vector<int32_t> ids = p.prompt;
  ids.insert(ids.end(), made.begin(), made.end());
  torch::Tensor lp;  // (ids - 1, V); none for a lone echoed token
  if (ids.size() >= 2) lp = log_probs(members_[p.member].lm.model, p.blocks, p.dial, ids);
  return score_tokens(lp, ids, p.request.echo ? 0 : p.prompt.size(), p.request.logprobs, tokenizer());
}

json ServedModel::audit_record(const ExplainedToken& row, size_t member, const BlockMap& blocks,
                               const std::vector<int32_t>& ids, size_t position, const torch::Tensor& dist,
                               const std::vector<double>& weights) const {
  const auto& tok = tokenizer();
  const auto& m = row.e.mean;
  json e = {{"token", tok.token_text(ids[position])},
            {"p", dist[ids[position]].item<double>()},
            {"top", alternatives(dist, tok, 5)},
            {"query_block", blocks.block_name(row.e.block)},
            {"target_block", row.e.target < 0 ? json(nullptr) : json(blocks.block_name(row.e.target))},
            {"read_block", m.top_block < 0 ? json(nullptr) : json(blocks.block_name(m.top_block))},
            {"read_block_mass", m.top_block_mass},
            {"anchor", m.top_anchor < 0 ? json(nullptr) : json(tok.token_text(ids[m.top_anchor]))},
            {"anchor_position", m.top_anchor},
            {"anchor_mass", m.top_anchor_mass},
            {"block_fidelity", m.target_mass},
            {"pointer_fidelity", m.target_anchor_mass},
            {"entropy_bits", m.entropy_bits}};
  if (members_.size() > 1) e["member"] = members_[member].name;
  if (!weights.empty()) {
    json w = json::object();
    for (size_t j = 0; j < members_.size(); ++j) w[members_[j].name] = weights[j];
    e["weights"] = w;
  }
  return e;
}

ServedModel::Audit ServedModel::audit(const PreparedRequest& pr, const std::vector<int32_t>& ids, size_t first,
                                      const std::vector<torch::Tensor>& dists, const std::vector<size_t>& audited,
                                      const std::vector<std::vector<double>>& weights) {
  const size_t prompt_size = pr.prompt.size();
  const bool mixed = !weights.empty();
  // ids through each audited member once, as they were sampled: the chosen member under the
  // request's rules; a mixture's members under their own
  std::map<size_t, TextExplanation> x;
  const std::vector<MixtureMember> own = mixed ? mixture(pr) : std::vector<MixtureMember>{};
  for (size_t i = first; i < audited.size(); ++i) {
    const size_t k = audited[i];
    if (!x.count(k))
      x[k] = mixed ? explain_text(*own[k].model, *own[k].blocks, own[k].dial, ids, device_)
                   : explain_text(members_[k].lm.model, pr.blocks, pr.dial, ids, device_);
  }
  Audit a;
  for (size_t i = first; i < audited.size(); ++i) {
    const size_t k = audited[i], p = prompt_size + i;
    const auto one = rows_between(x.at(k), p - 1, p);  // the query that produced token p
    a.rows.rows.push_back(one.rows.front()), a.rows.max_entropy_bits_sum += one.max_entropy_bits_sum;
    a.records.push_back(audit_record(one.rows.front(), k, mixed ? *own[k].blocks : pr.blocks, ids, p, dists.at(i),
                                     mixed ? weights.at(i) : std::vector<double>{}));
  }
  return a;
}

nlohmann::json ServedModel::summary(const TextExplanation& made, const std::vector<size_t>& audited) const {
  int64_t n_layer = INT64_MAX, n_head = INT64_MAX;  // the heads every audited member has
  for (size_t k : audited) {
    n_layer = std::min(n_layer, members_[k].lm.model->cfg.n_layer);
    n_head = std::min(n_head, members_[k].lm.model->cfg.n_head);
  }
  if (audited.empty()) n_layer = n_head = 0;
  const auto s = summarize(made, every_head(n_layer, n_head));
  return {{"block_fidelity", s.block_fidelity},
          {"pointer_fidelity", s.pointer_fidelity},
          {"entropy_bits", s.entropy_bits},
          {"max_entropy_bits", s.max_entropy_bits}};
}

}  // namespace localist::serve
