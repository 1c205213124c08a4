// localist chat: an interactive session on a checkpoint whose rules file is reloaded whenever
// it changes (rules/rules_watch), so blocks, anchors and targets can be edited while it runs,
// without retraining or reloading the weights. Each line read from standard input:
//   :explain TEXT   the audit view of TEXT: per token its block > target, the attention mass on
//                   the target block and on its anchors (mean over layers and heads), then the
//                   block / pointer fidelity and entropy of the whole text
//   :quit           end (as does the end of input)
//   anything else   a prompt: the continuation is sampled under the dial and audited the same way
// Before each line the rules file is checked; a reload (or a rules error, naming its line and
// field, after which the rules in force stay) is announced on its own line.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "opened_checkpoint.h"
#include "localist/report/text_format.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/metrics/text_explain.h"
#include "localist/model/sampler.h"
#include "localist/blocks/rules_watch.h"
#include "localist/run/checkpoint.h"

namespace localist::app {
namespace {

struct ChatArgs {
  std::string checkpoint;
  SampleOptions opt;
  InferenceArgs run;  // device, threads, localist overrides
};


void audit(LoadedModel& lm, const RulesWatch& rules, const std::vector<int32_t>& ids, bool per_token,
           const torch::Device& device) {
  if (ids.empty()) {
    std::cout << "audit: no tokens\n";
    return;
  }
  const auto dial = Dial::from_config(rules.config());
  const auto x = explain_text(lm.model, rules.blocks(), dial, ids, device);
  const auto& tok = *lm.tokenizer;
  if (per_token)
    for (const auto& r : x.rows) {
      const auto& b = rules.blocks();
      std::cout << "  " << r.offset + r.e.position << " " << visible(tok.token_text(r.token)) << " "
                << b.block_name(r.e.block) << ">" << (r.e.target < 0 ? "-" : b.block_name(r.e.target))
                << " target " << fixed(r.e.mean.target_mass) << " anchors " << fixed(r.e.mean.target_anchor_mass)
                << "\n";
    }
  const auto s = summarize(x, every_head(lm.model->cfg.n_layer, lm.model->cfg.n_head));
  std::cout << "audit: " << ids.size() << " tokens | blocks " << rules.blocks().describe() << " | block fidelity "
            << fixed(s.block_fidelity) << " | pointer fidelity " << fixed(s.pointer_fidelity) << " | entropy "
            << fixed(s.entropy_bits) << " bits\n";
}

}  // namespace

void add_chat(CLI::App& app) {
  auto* cmd = app.add_subcommand("chat", "interactive prompts and audits on a checkpoint; the rules file is "
                                         "reloaded whenever it changes");
  auto a = std::make_shared<ChatArgs>();
  a->opt.max_new_tokens = 40;
  cmd->add_option("checkpoint", a->checkpoint, "run or checkpoint directory")->required();
  cmd->add_option("--max-new-tokens,-n", a->opt.max_new_tokens, "tokens sampled per prompt")->capture_default_str();
  cmd->add_option("--temperature", a->opt.temperature, "softmax temperature (0 = greedy)")->capture_default_str();
  cmd->add_option("--top-k", a->opt.top_k, "sample from the k most likely (0 = all)")->capture_default_str();
  cmd->add_option("--seed", a->opt.seed, "sampling seed")->capture_default_str();
  add_inference_options(*cmd, a->run);
  cmd->callback([a, cmd] {
    if (!cmd->count("--rules")) throw ConfigError("chat: name the rules file to watch with --rules FILE");
    auto c = open_checkpoint(a->checkpoint, *cmd, a->run);
    auto& lm = c.lm;
    const auto device = c.device;
    LocalistConfig& lc = c.localist;
    RulesWatch rules(lc, lc.rules_file, *lm.tokenizer);
    std::cout << "chat " << a->checkpoint << " | rules " << lc.rules_file << ": " << rules.blocks().describe()
              << " | lambda " << Dial::from_config(rules.config()).lambda
              << " | :explain TEXT, :quit, or a prompt" << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
      if (auto ev = rules.poll()) std::cout << (ev->reloaded ? "" : "rules error: ") << ev->message << "\n";
      if (line == ":quit") break;
      if (line.rfind(":explain", 0) == 0) {
        const std::string text = line.size() > 9 ? line.substr(9) : "";
        audit(lm, rules, lm.tokenizer->encode(text), true, device);
      } else {
        SampleOptions opt = a->opt;
        opt.blocks = &rules.blocks();
        opt.dial = Dial::from_config(rules.config());
        const auto ids = sample(lm.model, lm.tokenizer->encode(line), opt, device);
        std::cout << lm.tokenizer->decode(ids) << "\n";
        audit(lm, rules, ids, false, device);
      }
      std::cout << std::flush;
    }
  });
}

}  // namespace localist::app
