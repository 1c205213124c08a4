// localist sweep: the locality dial stepped over a list of lambdas, one row of measurements per
// value, as a table (DIR/sweep.{md,csv,json}); resumable (src/localist/report/sweep.h).
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "localist/core/errors.h"
#include "localist/report/sweep.h"
#include "localist/run/checkpoint.h"

namespace localist::app {

namespace {
struct SweepArgs {
  std::string out;
  std::string lambdas = "1.0:0.0:0.1";
  bool json = false;
  SweepConfig cfg;
};

// Flags that belong to the other protocol are refused rather than silently ignored.
void check_protocol_flags(const CLI::App& cmd, const std::string& protocol) {
  if (cmd.count("--lambda"))
    throw ConfigError("sweep sets lambda itself: use --lambdas (start:stop:step or a list)");
  if (cmd.count("--lambda-sample"))  // each retrained model would ignore its own lambda
    throw ConfigError("sweep sets lambda itself: --lambda-sample is for localist train (docs/dial.md); "
                      "sweep its checkpoint with --protocol inference");
  if (protocol != "inference") return;
  for (const auto* opt : cmd.get_option_group("model")->get_options())
    if (opt->count())
      throw ConfigError("protocol inference evaluates the checkpoint as trained: " +
                        opt->get_name() + " is for --protocol retrain");
  for (const auto* opt : cmd.get_option_group("training")->get_options())
    if (opt->count() && opt->get_name() != "--device" && opt->get_name() != "--threads")
      throw ConfigError("protocol inference trains nothing: " + opt->get_name() +
                        " is for --protocol retrain");
}
}  // namespace

void add_sweep(CLI::App& app) {
  auto a = std::make_shared<SweepArgs>();
  auto* cmd = app.add_subcommand("sweep", "the locality dial over a list of lambdas: a row of "
                                          "attention entropy, fidelities, perplexity and "
                                          "accuracy per value (resumable)");
  auto& c = a->cfg;
  cmd->add_option("--out", a->out, "sweep directory (rows.jsonl, sweep.md/csv/json, runs/)")
      ->required();
  cmd->add_option("--protocol", c.protocol,
                  "inference (one checkpoint, lambda at evaluation) | retrain (a model per lambda)")
      ->required()->check(CLI::IsMember({"inference", "retrain"}));
  cmd->add_option("--checkpoint", c.checkpoint, "inference: the run or checkpoint directory");
  cmd->add_option("--lambdas", a->lambdas, "start:stop:step (inclusive) or a comma list")
      ->capture_default_str();
  cmd->add_option("--split", c.split, "valid | test")->capture_default_str()
      ->check(CLI::IsMember({"valid", "test"}));
  cmd->add_option("--max-tokens", c.max_tokens, "score only the first N predictions (0 = all)")
      ->capture_default_str();
  cmd->add_flag("--json", a->json, "print the table as one JSON object (progress to stderr)");
  // retrain: the flags of `localist train`; inference: --device, --threads, the localist
  // flags (overriding the checkpoint's, as in `localist eval`) and the data flags (other data)
  add_model_options(*cmd, c.model);
  add_data_options(*cmd, c.data);
  add_train_options(*cmd, c.train);
  add_localist_options(*cmd, c.localist);
  cmd->callback([a, cmd] {
    check_protocol_flags(*cmd, a->cfg.protocol);
    auto& c = a->cfg;
    c.lambdas = parse_lambdas(a->lambdas);
    c.device = c.train.device;
    c.threads = c.train.threads;
    if (c.protocol == "inference") {
      if (c.checkpoint.empty()) throw ConfigError("protocol inference needs --checkpoint RUN");
      const auto meta = read_checkpoint_meta(find_checkpoint_dir(c.checkpoint));
      c.localist = localist_overrides(meta.localist, *cmd, c.localist);
      // other data (e.g. for an imported model, which has none): the checkpoint's tokenizer reads it
      for (const auto* opt : cmd->get_option_group("data")->get_options()) c.other_data |= opt->count() > 0;
      c.data.tokenizer = meta.data.tokenizer;
      c.data.tokenizer_vocab = meta.data.tokenizer_vocab;
      c.data.tokenizer_files = meta.data.tokenizer_files;
    }
    std::ostream& progress = a->json ? std::cerr : std::cout;
    const auto r = run_sweep(c, a->out, &progress);
    if (a->json) {
      std::cout << sweep_json(r.settings, r.rows).dump() << "\n";
    } else {
      std::cout << "\n" << sweep_markdown(r.header, r.rows) << "\n"
                << "written: " << a->out << "/sweep.md, sweep.csv, sweep.json (" << r.computed
                << " rows computed, " << r.rows.size() - r.computed << " from rows.jsonl)\n";
    }
  });
}

}  // namespace localist::app
