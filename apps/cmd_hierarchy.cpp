// localist hierarchy: a base model and specialists as one unit (hierarchy/hierarchy.h), and its
// evaluation on held-out text of known domains: per-domain perplexity of the base alone, hard
// routing, soft routing and the oracle (each segment to its own domain's model), and how often
// hard routing picks the right model (hierarchy/router.h).
//   localist hierarchy create DIR --base RUN [--member NAME=RUN ...] [--routing hard|soft] [--prefix N]
//   localist hierarchy add DIR --member NAME=RUN
//   localist hierarchy eval DIR --domain NAME=FILE [--domain ...] [--own NAME=MEMBER] [--rules FILE] [--json]
//   localist hierarchy route DIR --domain NAME=FILE [...]   (members spread over processes: cmd_hierarchy_route.cpp)
//   localist hierarchy recruit DIR --data FILE [--clusters K] [--theta-llm X] [--theta-block Y] ...
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>

#include "commands.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/core/setting.h"
#include "localist/data/corpus.h"
#include "localist/metrics/text_explain.h"
#include "localist/hierarchy/hierarchy.h"
#include "localist/hierarchy/routed_concentration.h"
#include "localist/hierarchy/router.h"
#include "localist/hierarchy/specialist_recruiter.h"
#include "localist/blocks/rules.h"

namespace localist::app {
namespace {

using json = nlohmann::json;

struct EvalArgs {
  std::string dir;
  std::vector<std::string> domains;
  std::vector<std::string> own;  // DOMAIN=MEMBER: the member that should serve a domain
  int64_t segment_tokens = 128;
  int64_t max_segments = 200;  // per domain (0 = all)
  int64_t prefix = -1;         // -1: the manifest's
  std::string device = "auto";
  std::string rules;       // swap every member's rules at inference (no retraining)
  double kappa = 0;        // > 0: every member's kappa at inference (the dial moved, no retraining)
  bool json = false;
  bool attention = false;  // per member: entropy and fidelities on what each routing gave it
  bool bounds = false;     // per routed member: its concentration guarantee under hard and soft routing
  double margin_percentile = 5;
};

// A member's attention on the predictions a routing gave it: share-weighted means.
struct MemberAttention {
  double weight = 0, entropy = 0, block = 0, block_w = 0, pointer = 0, pointer_w = 0;
  void add(const ExplainSummary& s, double w) {
    weight += w, entropy += w * s.entropy_bits;
    if (!std::isnan(s.block_fidelity)) block += w * s.block_fidelity, block_w += w;
    if (!std::isnan(s.pointer_fidelity)) pointer += w * s.pointer_fidelity, pointer_w += w;
  }
  json to_json() const {
    auto mean = [](double x, double w) { return w > 0 ? json(x / w) : json(nullptr); };
    return {{"predictions_share", weight}, {"attention_entropy_bits", mean(entropy, weight)},
            {"block_fidelity", mean(block, block_w)}, {"pointer_fidelity", mean(pointer, pointer_w)}};
  }
};

struct DomainScore {
  std::string name;
  int64_t segments = 0, predictions = 0, routed_right = 0;
  double base = 0, hard = 0, soft = 0, oracle = 0;  // summed NLL, nats
  std::vector<int64_t> chosen;                       // hard: segments per member
};

// Every member's attention on a segment (its own dial and blocks), with the masses off every
// member's target blocks.
std::vector<SegmentAttention> segment_attentions(LoadedHierarchy& h, const std::vector<BlockMap>& blocks,
                                                 const std::vector<int32_t>& seg) {
  const auto device = h.models[0].model->parameters().front().device();
  const auto ids = torch::tensor(std::vector<int64_t>(seg.begin(), seg.end() - 1), torch::kLong);
  const auto x = ids.unsqueeze(0).to(device);  // (1, T): the queries of the segment's predictions
  std::vector<torch::Tensor> targets;
  for (size_t k = 0; k < h.models.size(); ++k)
    targets.push_back(target_keys(blocks[k].layout(x), h.models[k].model->cfg.causal));
  std::vector<SegmentAttention> att;
  for (size_t k = 0; k < h.models.size(); ++k) {
    auto& m = h.models[k];
    att.push_back(segment_attention(m.model, blocks[k], Dial::from_config(m.meta.localist), x, targets, k));
  }
  return att;
}

// A margin for JSON: "inf" where a hard mask leaves no off-target logit (as kappa is written).
json margin_json(double d) {
  if (std::isnan(d)) return nullptr;
  return std::isinf(d) ? json(d > 0 ? "inf" : "-inf") : json(d);
}

// The routed bound check: per member, what hard and soft routing gave it to audit.
void print_bounds(const json& b, const Hierarchy& man) {
  std::printf("\nconcentration guarantee per routed member (eps = mass off the auditing member's target "
              "block of the weighted attention; B = Lemma 1's bound at the member's uniform margin, the "
              "%g-th percentile; mixed = w B + 1 - w):\n",
              b["margin_percentile"].get<double>());
  std::printf("| member | delta | routing | queries | mean w | eps | B | eps <= B | mixed | eps <= mixed |\n"
              "|---|---|---|---|---|---|---|---|---|---|\n");
  auto f = [](const json& x) {
    char buf[32];
    if (x.is_null()) return std::string("-");
    if (x.is_string()) return x.get<std::string>();
    std::snprintf(buf, sizeof buf, "%.4g", x.get<double>());
    return std::string(buf);
  };
  for (const auto& m : man.members)
    for (const char* r : {"hard", "soft"}) {
      const auto& c = b["members"][m.name][r];
      std::printf("| %s | %s | %s | %lld | %s | %s | %s | %s | %s | %s |\n", m.name.c_str(),
                  f(b["members"][m.name]["uniform_margin"]).c_str(), r,
                  static_cast<long long>(c["queries"].get<int64_t>()), f(c["weight"]).c_str(),
                  f(c["off_target_mass"]).c_str(), f(c["bound"]).c_str(), f(c["within_bound"]).c_str(),
                  f(c["mixed_bound"]).c_str(), f(c["within_mixed_bound"]).c_str());
    }
}

void run_eval(const EvalArgs& a) {
  if (a.domains.empty()) throw ConfigError("hierarchy eval: name at least one --domain NAME=FILE");
  if (a.segment_tokens < 2) throw ConfigError("--segment-tokens must be >= 2");
  auto h = load_hierarchy(a.dir, resolve_device(a.device));
  if (!a.rules.empty())
    for (auto& m : h.models) {
      m.meta.localist.rules_file = a.rules;  // read anew: its errors name the line and field
      m.meta.localist.rules = nullptr;
      rules_of(m.meta.localist, *m.tokenizer, &m.meta.localist.rules);
      m.meta.localist.rules_file.clear();
    }
  if (a.kappa != 0)
    for (auto& m : h.models) m.meta.localist = apply_setting(m.meta.localist, {std::nullopt, a.kappa, "", nullptr});
  const auto& man = h.manifest;
  const int64_t prefix = a.prefix >= 0 ? a.prefix : man.prefix;
  if (prefix >= a.segment_tokens - 1)
    throw ConfigError("the routing prefix (" + std::to_string(prefix) + ") leaves no prediction of a " +
                      std::to_string(a.segment_tokens) + "-token segment to route");
  const int64_t K = static_cast<int64_t>(h.models.size());
  std::vector<MemberAttention> att_hard(K), att_soft(K);
  std::vector<BlockMap> member_blocks;
  std::vector<std::pair<int64_t, int64_t>> heads;  // every layer and head (members share a shape)
  for (auto& m : h.models) member_blocks.push_back(BlockMap::from_config(m.meta.localist, *m.tokenizer));
  for (int64_t l = 0; l < h.models[0].model->cfg.n_layer; ++l)
    for (int64_t hd = 0; hd < h.models[0].model->cfg.n_head; ++hd) heads.push_back({l, hd});
  std::map<std::string, int64_t> own_of;
  for (const auto& o : a.own) {
    const auto [domain, member] = name_value(o, "--own");
    int64_t k = -1;
    for (int64_t i = 0; i < K; ++i)
      if (man.members[i].name == member) k = i;
    if (k < 0) throw ConfigError("--own " + o + ": the hierarchy has no member '" + member + "'");
    own_of[domain] = k;
  }
  const auto own_model = [&](const std::string& domain) {
    const auto it = own_of.find(domain);
    return it != own_of.end() ? it->second : man.member_for_domain(domain);
  };
  RoutedConcentration routed(static_cast<size_t>(K), a.margin_percentile);
  std::vector<DomainScore> scores;
  for (const auto& d : a.domains) {
    const auto [name, file] = name_value(d, "--domain");
    const auto ids = h.models[0].tokenizer->encode(data::read_text_file(file));
    DomainScore s;
    s.name = name;
    s.chosen.assign(K, 0);
    const int64_t own = own_model(name);
    for (int64_t at = 0; at + a.segment_tokens <= static_cast<int64_t>(ids.size()); at += a.segment_tokens) {
      if (a.max_segments > 0 && s.segments == a.max_segments) break;
      const std::vector<int32_t> seg(ids.begin() + at, ids.begin() + at + a.segment_tokens);
      std::vector<torch::Tensor> rows;
      for (int64_t k = 0; k < K; ++k) rows.push_back(segment_nll(h.models[k], member_blocks[k], seg));
      const auto nll = torch::stack(rows);  // (K, S-1)
      const auto hard = route_hard(nll, prefix), soft = route_soft(nll);
      if (a.attention)
        for (int64_t k = 0; k < K; ++k) {
          const double wh = hard.share[k].item<double>(), ws = soft.share[k].item<double>();
          if (wh == 0 && ws < 1e-3) continue;  // a member with no say on this segment
          auto& m = h.models[k];
          const auto sum = summarize(explain_text(m.model, member_blocks[k], Dial::from_config(m.meta.localist), seg,
                                                  m.model->parameters().front().device()), heads);
          att_hard[k].add(sum, wh), att_soft[k].add(sum, ws);
        }
      if (a.bounds) routed.add_segment(segment_attentions(h, member_blocks, seg), {hard.weights, soft.weights});
      s.base += nll[0].sum().item<double>();
      s.hard += hard.nll.sum().item<double>();
      s.soft += soft.nll.sum().item<double>();
      s.oracle += nll[own].sum().item<double>();
      ++s.chosen[hard.chosen];
      s.routed_right += hard.chosen == own;
      s.predictions += nll.size(1);
      ++s.segments;
    }
    if (s.segments == 0)
      throw DataError("'" + file + "' holds fewer than one " + std::to_string(a.segment_tokens) + "-token segment");
    scores.push_back(s);
  }
  json out = {{"hierarchy", a.dir}, {"members", json::array()}, {"routing_prefix", prefix},
              {"segment_tokens", a.segment_tokens}, {"domains", json::array()}};
  for (const auto& m : man.members) out["members"].push_back(m.name);
  DomainScore all;
  all.name = "all";
  for (const auto& s : scores) {
    const double n = static_cast<double>(s.predictions);
    json c = json::object();
    for (int64_t k = 0; k < K; ++k) c[man.members[k].name] = s.chosen[k];
    out["domains"].push_back({{"domain", s.name}, {"own_model", man.members[own_model(s.name)].name},
                              {"segments", s.segments}, {"predictions", s.predictions},
                              {"ppl_base", std::exp(s.base / n)}, {"ppl_hard", std::exp(s.hard / n)},
                              {"ppl_soft", std::exp(s.soft / n)}, {"ppl_oracle", std::exp(s.oracle / n)},
                              {"routing_accuracy", static_cast<double>(s.routed_right) / static_cast<double>(s.segments)},
                              {"hard_routed_to", c}});
    all.segments += s.segments, all.predictions += s.predictions, all.routed_right += s.routed_right;
    all.base += s.base, all.hard += s.hard, all.soft += s.soft, all.oracle += s.oracle;
  }
  const double n = static_cast<double>(all.predictions);
  out["all"] = {{"segments", all.segments}, {"ppl_base", std::exp(all.base / n)}, {"ppl_hard", std::exp(all.hard / n)},
                {"ppl_soft", std::exp(all.soft / n)}, {"ppl_oracle", std::exp(all.oracle / n)},
                {"routing_accuracy", static_cast<double>(all.routed_right) / static_cast<double>(all.segments)},
                {"hard_minus_soft_nats", (all.hard - all.soft) / n}};
  if (a.attention) {
    out["attention"] = json::object();
    for (int64_t k = 0; k < K; ++k)
      out["attention"][man.members[k].name] = {{"hard", att_hard[k].to_json()}, {"soft", att_soft[k].to_json()}};
  }
  if (a.bounds) {
    const auto checks = routed.result();
    const auto delta = routed.uniform_margins();
    json b = {{"margin_percentile", a.margin_percentile}, {"members", json::object()}};
    for (int64_t k = 0; k < K; ++k)
      b["members"][man.members[k].name] = {{"uniform_margin", margin_json(delta[k])},
                                           {"hard", to_json(checks[0][k])}, {"soft", to_json(checks[1][k])}};
    out["bounds"] = b;
  }
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("hierarchy %s: %lld models, segments of %lld tokens, hard routing after %lld predictions\n",
              a.dir.c_str(), static_cast<long long>(K), static_cast<long long>(a.segment_tokens),
              static_cast<long long>(prefix));
  std::printf("| domain | own model | segments | ppl base | ppl hard | ppl soft | ppl oracle | routing acc. |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  auto row = [](const json& d, const std::string& name, const std::string& own) {
    std::printf("| %s | %s | %lld | %.3f | %.3f | %.3f | %.3f | %.1f%% |\n", name.c_str(), own.c_str(),
                static_cast<long long>(d["segments"].get<int64_t>()), d["ppl_base"].get<double>(),
                d["ppl_hard"].get<double>(), d["ppl_soft"].get<double>(), d["ppl_oracle"].get<double>(),
                100 * d["routing_accuracy"].get<double>());
  };
  for (const auto& d : out["domains"]) row(d, d["domain"], d["own_model"]);
  row(out["all"], "all", "-");
  std::printf("hard - soft: %+.4f nats/prediction\n", out["all"]["hard_minus_soft_nats"].get<double>());
  if (a.bounds) print_bounds(out["bounds"], man);
  if (!a.attention) return;
  std::printf("\nattention per member on what each routing gave it (share of predictions; entropy bits; "
              "block / pointer fidelity):\n| member | hard share | hard H | hard block | hard pointer | soft share "
              "| soft H | soft block | soft pointer |\n|---|---|---|---|---|---|---|---|---|\n");
  auto f = [](const json& x) {
    char b[32];
    if (x.is_null()) return std::string("-");
    std::snprintf(b, sizeof b, "%.3f", x.get<double>());
    return std::string(b);
  };
  const double total = static_cast<double>(all.segments);
  for (int64_t k = 0; k < K; ++k) {
    const auto& hj = out["attention"][man.members[k].name]["hard"];
    const auto& sj = out["attention"][man.members[k].name]["soft"];
    std::printf("| %s | %.3f | %s | %s | %s | %.3f | %s | %s | %s |\n", man.members[k].name.c_str(),
                hj["predictions_share"].get<double>() / total, f(hj["attention_entropy_bits"]).c_str(),
                f(hj["block_fidelity"]).c_str(), f(hj["pointer_fidelity"]).c_str(),
                sj["predictions_share"].get<double>() / total, f(sj["attention_entropy_bits"]).c_str(),
                f(sj["block_fidelity"]).c_str(), f(sj["pointer_fidelity"]).c_str());
  }
}

}  // namespace

void add_hierarchy(CLI::App& app) {
  auto* cmd = app.add_subcommand("hierarchy", "a base model and specialists as one unit: create, add, eval (routing)");
  cmd->require_subcommand(1);

  struct CreateArgs {
    std::string dir, base, routing = "hard";
    std::vector<std::string> members;
    int64_t prefix = 32;
  };
  auto c = std::make_shared<CreateArgs>();
  auto* create = cmd->add_subcommand("create", "write a hierarchy directory from a base run and specialist runs");
  create->add_option("dir", c->dir, "new hierarchy directory")->required();
  create->add_option("--base", c->base, "the base model M0 (run or checkpoint directory)")->required();
  create->add_option("--member", c->members, "a specialist NAME=RUN (its domain is NAME); repeatable");
  create->add_option("--routing", c->routing, "hard (one model per segment) | soft (gated mixture)")->capture_default_str();
  create->add_option("--prefix", c->prefix, "hard routing: predictions the router reads first")->capture_default_str();
  create->callback([c] {
    std::vector<std::pair<std::string, std::string>> specialists;
    for (const auto& m : c->members) specialists.push_back(name_value(m, "--member"));
    create_hierarchy(c->dir, c->base, specialists, c->routing, c->prefix);
    std::printf("hierarchy %s: base + %zu specialists, %s routing\n", c->dir.c_str(), specialists.size(), c->routing.c_str());
  });

  auto ad = std::make_shared<std::pair<std::string, std::string>>();
  auto* add = cmd->add_subcommand("add", "add a specialist to a hierarchy");
  add->add_option("dir", ad->first, "hierarchy directory")->required();
  add->add_option("--member", ad->second, "NAME=RUN")->required();
  add->callback([ad] {
    const auto [name, run] = name_value(ad->second, "--member");
    add_to_hierarchy(ad->first, name, run);
    std::printf("hierarchy %s: added %s\n", ad->first.c_str(), name.c_str());
  });

  auto e = std::make_shared<EvalArgs>();
  auto* ev = cmd->add_subcommand("eval", "per-domain perplexity under base / hard / soft / oracle routing, routing accuracy");
  ev->add_option("dir", e->dir, "hierarchy directory")->required();
  ev->add_option("--domain", e->domains, "held-out text of a domain, NAME=FILE; repeatable")->required();
  ev->add_option("--own", e->own, "DOMAIN=MEMBER: the member that should serve a domain (default: the member "
                                   "whose domain is DOMAIN, else the base); repeatable");
  ev->add_option("--segment-tokens", e->segment_tokens, "tokens per routed segment")->capture_default_str();
  ev->add_option("--max-segments", e->max_segments, "segments per domain (0 = all)")->capture_default_str();
  ev->add_option("--prefix", e->prefix, "hard routing prefix (default: the manifest's)");
  ev->add_option("--rules", e->rules, "a rules file for every member, swapped in at inference");
  ev->add_option("--kappa", e->kappa, "every member's kappa at inference, nats ('inf' = hard mask; default: each its own)");
  ev->add_option("--device", e->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  ev->add_flag("--json", e->json, "print one JSON object");
  ev->add_flag("--bounds", e->bounds,
               "also each member's concentration guarantee (Lemma 1 at its uniform margin) on the predictions "
               "hard and soft routing gave it to audit");
  ev->add_option("--margin-percentile", e->margin_percentile,
                 "--bounds: a member's uniform margin is this percentile of its margins (0 = the minimum)")
      ->capture_default_str();
  ev->add_flag("--attention", e->attention,
               "also each member's attention entropy and block / pointer fidelity on the predictions "
               "hard and soft routing gave it (share-weighted)");
  ev->callback([e] { run_eval(*e); });
  add_hierarchy_route(*cmd);

  auto r = std::make_shared<std::pair<std::string, SpecialistConfig>>();
  r->second.train.max_steps = 200;
  r->second.train.warmup_steps = 20;
  r->second.train.eval_interval = 200;
  auto* rec = cmd->add_subcommand("recruit", "LLM-level recruitment: cluster a corpus into domains, fine-tune a "
                                  "specialist per cluster, keep those the criterion accepts (recruit.jsonl)");
  auto& s = r->second;
  rec->add_option("dir", r->first, "hierarchy directory")->required();
  rec->add_option("--data", s.data_file, "the training text (a mixture of domains)")->required();
  rec->add_option("--clusters", s.clusters, "domains to look for")->capture_default_str();
  rec->add_option("--chunk-chars", s.chunk_chars, "characters per chunk (whole lines) clustered")->capture_default_str();
  rec->add_option("--holdout", s.holdout, "fraction of each cluster's chunks held out for scoring")->capture_default_str();
  rec->add_option("--theta-llm", s.theta_llm, "accept iff Delta L_total < -theta_LLM (nats/token)")->capture_default_str();
  rec->add_option("--theta-block", s.theta_block, "the block threshold; theta_LLM/theta_block must lie in [50, 200]")->capture_default_str();
  rec->add_option("--entropy-threshold", s.entropy_threshold, "leave clusters whose domain entropy is at or below this (nats/token)")->capture_default_str();
  rec->add_option("--segment-tokens", s.segment_tokens, "tokens per routed scoring segment")->capture_default_str();
  rec->add_option("--max-eval-segments", s.max_eval_segments, "scoring segments per cluster")->capture_default_str();
  rec->add_option("--exhausted-after", s.exhausted_after, "block recruitment is exhausted when its last N decisions accepted nothing")->capture_default_str();
  rec->add_flag("--skip-block-check", s.skip_block_check, "recruit although the base ran no block recruitment (recorded)");
  add_train_options(*rec, s.train);
  rec->callback([r] {
    const auto sum = recruit_specialists(r->first, r->second);
    std::printf("hierarchy %s: %lld specialists accepted, %lld rejected, %lld clusters left alone (recruit.jsonl)\n",
                r->first.c_str(), static_cast<long long>(sum.accepted), static_cast<long long>(sum.rejected),
                static_cast<long long>(sum.skipped));
  });
}

}  // namespace localist::app
