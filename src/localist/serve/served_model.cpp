#include "localist/serve/served_model.h"

#include <algorithm>
#include <random>

#include "localist/blocks/block_map.h"
#include "localist/data/utf8.h"
#include "localist/metrics/text_explain.h"
#include "localist/model/dial.h"
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

}  // namespace

ServedModel::ServedModel(LoadedModel lm, LocalistConfig localist, torch::Device device, std::string name,
                         const std::vector<std::pair<std::string, std::string>>& rules_files)
    : lm_(std::move(lm)), localist_(std::move(localist)), device_(device), name_(std::move(name)) {
  BlockMap::from_config(localist_, *lm_.tokenizer);  // the default rules must resolve now
  for (const auto& [set, path] : rules_files) {
    if (set.empty() || set == "default") throw ConfigError("--rules-set: name a set NAME=FILE (not \"default\")");
    if (watched_.count(set)) throw ConfigError("--rules-set: \"" + set + "\" is given twice");
    watched_[set] = std::make_unique<RulesWatch>(localist_, path, *lm_.tokenizer);
  }
  lm_.model->eval();
}

json ServedModel::describe() const {
  json sets = json::array({"default"});
  for (const auto& [set, _] : watched_) sets.push_back(set);
  const auto dial = Dial::from_config(localist_);
  return {{"id", name_},
          {"object", "model"},
          {"owned_by", "localist"},
          {"localist",
           {{"context_length", context_length()},
            {"n_layer", lm_.model->cfg.n_layer},
            {"n_head", lm_.model->cfg.n_head},
            {"vocab_size", lm_.model->cfg.vocab_size},
            {"blocks", localist_.blocks},
            {"lambda", dial.lambda},
            {"kappa", dial.kappa},
            {"rules_sets", sets}}}};
}

PreparedRequest ServedModel::prepare(const CompletionRequest& r) {
  PreparedRequest p{r, lm_.tokenizer->encode(r.prompt), localist_, BlockMap::window(1), "default", "default", {}, 0};
  const int64_t T = context_length(), n = static_cast<int64_t>(p.prompt.size());
  if (n == 0) throw RequestError(400, "prompt", "prompt: encodes to no tokens");
  if (n > T)
    throw RequestError(400, "prompt", "prompt: " + std::to_string(n) + " tokens, longer than the model's context of " +
                                          std::to_string(T));
  // the audit reads the whole sequence in one causal window, exactly as it was sampled
  if (r.explain && n + r.max_tokens > T)
    throw RequestError(400, "max_tokens", "max_tokens: with explain, prompt (" + std::to_string(n) +
                                              " tokens) + max_tokens must fit the context of " + std::to_string(T));
  if (r.rules.empty() || r.rules == "default") {
    p.blocks = BlockMap::from_config(localist_, *lm_.tokenizer);
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
  p.dial = Dial::from_config(p.config);
  if (r.lambda) p.dial.lambda = *r.lambda;
  if (r.kappa) p.dial.kappa = *r.kappa;
  p.seed = r.seed ? *r.seed : std::random_device{}();
  return p;
}

Completion ServedModel::run(const PreparedRequest& p, const PieceCallback& on_piece,
                            std::chrono::steady_clock::time_point deadline) {
  const auto& r = p.request;
  const auto& tok = *lm_.tokenizer;
  SampleOptions opt;
  opt.max_new_tokens = r.max_tokens, opt.temperature = r.temperature, opt.top_k = r.top_k;
  opt.seed = p.seed, opt.blocks = &p.blocks, opt.dial = p.dial;
  Completion c;
  c.prompt_tokens = static_cast<int64_t>(p.prompt.size());
  c.seed = p.seed, c.lambda = p.dial.lambda, c.kappa = p.dial.kappa;
  c.rules = p.rules, c.rules_version = p.rules_version;
  c.finish_reason = "length";
  std::vector<int32_t> made;
  std::vector<torch::Tensor> dists;  // each token's distribution, for the audit's alternatives
  size_t sent = 0;
  bool cancelled = false;
  const auto ids = sample(lm_.model, p.prompt, opt, device_, [&](int32_t next, const torch::Tensor& probs) {
    made.push_back(next);
    if (r.explain) dists.push_back(probs);
    c.text = tok.decode(made);
    if (const size_t at = first_stop(c.text, r.stop); at != std::string::npos) {
      c.text.resize(at);
      c.finish_reason = "stop";
    }
    const size_t ready = c.finish_reason == "stop" ? c.text.size() : c.text.size() - held_back(c.text, r.stop);
    if (ready > sent && on_piece && !on_piece(c.text.substr(sent, ready - sent))) cancelled = true;
    sent = std::max(sent, ready);
    c.timed_out = std::chrono::steady_clock::now() > deadline;
    return c.finish_reason != "stop" && !c.timed_out && !cancelled;
  });
  if (sent < c.text.size() && on_piece && !cancelled) on_piece(c.text.substr(sent));
  c.cancelled = cancelled;
  c.completion_tokens = static_cast<int64_t>(made.size());
  if (r.explain && !cancelled) explain(c, ids, p, dists);
  return c;
}

void ServedModel::explain(Completion& c, const std::vector<int32_t>& ids, const PreparedRequest& pr,
                          const std::vector<torch::Tensor>& dists) {
  const auto& tok = *lm_.tokenizer;
  const auto& blocks = pr.blocks;
  const size_t prompt_size = pr.prompt.size();
  const auto x = explain_text(lm_.model, blocks, pr.dial, ids, device_);
  TextExplanation made;  // the queries that produced the generated tokens: position p - 1
  c.explanation = json::array();
  for (size_t p = prompt_size; p < ids.size(); ++p) {
    const auto& row = x.rows.at(p - 1);
    made.rows.push_back(row);
    const auto& m = row.e.mean;
    const auto dist = dists.at(p - prompt_size);
    c.explanation.push_back(
        {{"token", tok.token_text(ids[p])},
         {"p", dist[ids[p]].item<double>()},
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
         {"entropy_bits", m.entropy_bits}});
  }
  std::vector<std::pair<int64_t, int64_t>> all;
  for (int64_t l = 0; l < lm_.model->cfg.n_layer; ++l)
    for (int64_t h = 0; h < lm_.model->cfg.n_head; ++h) all.push_back({l, h});
  const auto s = summarize(made, all);
  c.summary = {{"block_fidelity", s.block_fidelity},
               {"pointer_fidelity", s.pointer_fidelity},
               {"entropy_bits", s.entropy_bits},
               {"max_entropy_bits", s.max_entropy_bits}};
}

}  // namespace localist::serve
