#pragma once
// Each subcommand registers itself on the top-level app and runs when selected.
// A command throws localist::UserError for user mistakes; main() prints it as one line.
#include <CLI/CLI.hpp>

#include "localist/core/config.h"
#include "localist/data/tokenizer.h"
#include "localist/hierarchy/hierarchy_eval.h"

namespace localist::app {

void add_train(CLI::App& app);
void add_eval(CLI::App& app);
void add_generate(CLI::App& app);
void add_demo(CLI::App& app);
void add_explain(CLI::App& app);
void add_threshold(CLI::App& app);
void add_concentration(CLI::App& app);
void add_sweep(CLI::App& app);
void add_report(CLI::App& app);
void add_blocks(CLI::App& app);
void add_hierarchy(CLI::App& app);
void add_chat(CLI::App& app);
void add_synth(CLI::App& app);
void add_import_hf(CLI::App& app);
void add_export_hf(CLI::App& app);
void add_serve(CLI::App& app);

void add_hierarchy_route(CLI::App& hierarchy);  // the `route` subcommand of `hierarchy`
// --domain NAME=FILE values read and tokenized (cmd_hierarchy.cpp), for eval and route.
std::vector<DomainTokens> read_domains(const std::vector<std::string>& specs, const data::Tokenizer& tok);

// "NAME=VALUE" of a repeatable option, split; ConfigError naming the option otherwise.
std::pair<std::string, std::string> name_value(const std::string& s, const std::string& option);
// A setting's key as this command line spells it (core/errors.h): its flag, e.g. --block-size.
std::string cli_flag(const std::string& key);

// Shared option groups (options.cpp).
void add_model_options(CLI::App& cmd, ModelConfig& m);
void add_data_options(CLI::App& cmd, DataConfig& d);
void add_train_options(CLI::App& cmd, TrainConfig& t);
void add_localist_options(CLI::App& cmd, LocalistConfig& l);
void add_recruit_options(CLI::App& cmd, RecruitConfig& r);
// At inference the flags given on `cmd` override the checkpoint's localist settings (the dial
// and the blocks move without retraining); validated.
// explain and threshold measure causal attention only: a leaking (bidirectional) checkpoint
// is refused with a ConfigError naming the command.
LocalistConfig localist_overrides(const LocalistConfig& stored, const CLI::App& cmd,
                                  const LocalistConfig& given);

}  // namespace localist::app
