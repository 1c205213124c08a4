// localist hierarchy: a base model and specialists as one unit (hierarchy/hierarchy.h), and its
// evaluation on held-out text of known domains: per-domain perplexity of the base alone, hard
// routing, soft routing and the oracle (each segment to its own domain's model), and how often
// hard routing picks the right model (hierarchy/hierarchy_eval.h; printed here).
//   localist hierarchy create DIR --base RUN [--member NAME=RUN ...] [--routing hard|soft] [--prefix N]
//   localist hierarchy add DIR --member NAME=RUN
//   localist hierarchy eval DIR --domain NAME=FILE [--domain ...] [--own NAME=MEMBER] [--rules FILE] [--json]
//   localist hierarchy route DIR --domain NAME=FILE [...]   (members spread over processes: cmd_hierarchy_route.cpp)
//   localist hierarchy recruit DIR --data FILE [--clusters K] [--theta-llm X] [--theta-block Y] ...
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "localist/core/device.h"
#include "localist/data/corpus.h"
#include "localist/hierarchy/hierarchy.h"
#include "localist/hierarchy/hierarchy_eval.h"
#include "localist/hierarchy/specialist_recruiter.h"
#include "localist/report/hierarchy_eval_json.h"
#include "localist/report/hierarchy_eval_text.h"

namespace localist::app {
namespace {

using json = nlohmann::json;

struct HierarchyEvalArgs {
  std::string dir;
  std::vector<std::string> domains;
  std::vector<std::string> own;  // DOMAIN=MEMBER: the member that should serve a domain
  std::string device = "auto";
  std::string rules;  // swap every member's rules at inference (no retraining)
  double kappa = 0;   // != 0: every member's kappa at inference (the dial moved, no retraining)
  bool json = false;
  HierarchyEvalOptions options;
};

void run_eval(const HierarchyEvalArgs& a) {
  auto h = load_hierarchy(a.dir, resolve_device(a.device));
  override_members(h, a.rules, a.kappa);
  const auto domains = read_domains(a.domains, *h.models[0].tokenizer);
  auto o = a.options;
  for (const auto& x : a.own) o.own.push_back(name_value(x, "--own"));
  const auto e = evaluate_hierarchy(h, domains, o);
  const auto out = to_json(e, a.dir);
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  print_hierarchy_eval(stdout, out);
}

void add_hierarchy_create(CLI::App& cmd) {
  struct CreateArgs {
    std::string dir, base, routing = "hard";
    std::vector<std::string> members;
    int64_t prefix = 32;
  };
  auto c = std::make_shared<CreateArgs>();
  auto* create = cmd.add_subcommand("create", "write a hierarchy directory from a base run and specialist runs");
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
}

void add_hierarchy_add(CLI::App& cmd) {
  auto ad = std::make_shared<std::pair<std::string, std::string>>();
  auto* add = cmd.add_subcommand("add", "add a specialist to a hierarchy");
  add->add_option("dir", ad->first, "hierarchy directory")->required();
  add->add_option("--member", ad->second, "NAME=RUN")->required();
  add->callback([ad] {
    const auto [name, run] = name_value(ad->second, "--member");
    add_to_hierarchy(ad->first, name, run);
    std::printf("hierarchy %s: added %s\n", ad->first.c_str(), name.c_str());
  });
}

void add_hierarchy_eval(CLI::App& cmd) {
  auto e = std::make_shared<HierarchyEvalArgs>();
  auto* ev = cmd.add_subcommand("eval", "per-domain perplexity under base / hard / soft / oracle routing, routing accuracy");
  ev->add_option("dir", e->dir, "hierarchy directory")->required();
  ev->add_option("--domain", e->domains, "held-out text of a domain, NAME=FILE; repeatable")->required();
  ev->add_option("--own", e->own, "DOMAIN=MEMBER: the member that should serve a domain (default: the member "
                                   "whose domain is DOMAIN, else the base); repeatable");
  ev->add_option("--segment-tokens", e->options.segment_tokens, "tokens per routed segment")->capture_default_str();
  ev->add_option("--max-segments", e->options.max_segments, "segments per domain (0 = all)")->capture_default_str();
  ev->add_option("--prefix", e->options.prefix, "hard routing prefix (default: the manifest's)");
  ev->add_option("--rules", e->rules, "a rules file for every member, swapped in at inference");
  ev->add_option("--kappa", e->kappa, "every member's kappa at inference, nats ('inf' = hard mask; default: each its own)");
  ev->add_option("--device", e->device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  ev->add_flag("--json", e->json, "print one JSON object");
  ev->add_flag("--bounds", e->options.bounds,
               "also each member's concentration guarantee (Lemma 1 at its uniform margin) on the predictions "
               "hard and soft routing gave it to audit");
  ev->add_option("--margin-percentile", e->options.margin_percentile,
                 "--bounds: a member's uniform margin is this percentile of its margins (0 = the minimum)")
      ->capture_default_str();
  ev->add_flag("--attention", e->options.attention,
               "also each member's attention entropy and block / pointer fidelity on the predictions "
               "hard and soft routing gave it (share-weighted)");
  ev->callback([e] { run_eval(*e); });
}

void add_hierarchy_recruit(CLI::App& cmd) {
  auto r = std::make_shared<std::pair<std::string, SpecialistConfig>>();
  r->second.train.max_steps = 200;
  r->second.train.warmup_steps = 20;
  r->second.train.eval_interval = 200;
  auto* rec = cmd.add_subcommand("recruit", "LLM-level recruitment: cluster a corpus into domains, fine-tune a "
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

}  // namespace

std::vector<DomainTokens> read_domains(const std::vector<std::string>& specs, const data::Tokenizer& tok) {
  std::vector<DomainTokens> domains;
  for (const auto& d : specs) {
    const auto [name, file] = name_value(d, "--domain");
    domains.push_back({name, "'" + file + "'", tok.encode(data::read_text_file(file))});
  }
  return domains;
}

void add_hierarchy(CLI::App& app) {
  auto* cmd = app.add_subcommand("hierarchy", "a base model and specialists as one unit: create, add, eval (routing)");
  cmd->require_subcommand(1);
  add_hierarchy_create(*cmd);
  add_hierarchy_add(*cmd);
  add_hierarchy_eval(*cmd);
  add_hierarchy_route(*cmd);
  add_hierarchy_recruit(*cmd);
}

}  // namespace localist::app
