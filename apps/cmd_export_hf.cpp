// localist export-hf RUN --out DIR: a run's model as a Hugging Face GPT-2 directory.
#include <iostream>

#include "commands.h"
#include "localist/core/progress.h"
#include "localist/hf/export_hf.h"

namespace localist::app {

void add_export_hf(CLI::App& app) {
  auto* cmd = app.add_subcommand("export-hf", "a run's model as a Hugging Face GPT-2 directory "
                                              "(GPT2LMHeadModel.from_pretrained loads it)");
  auto run = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("run", *run, "run or checkpoint directory")->required();
  cmd->add_option("--out", *out, "the directory to write")->required();
  cmd->callback([run, out] {
    const auto s = hf::export_gpt2(*run, *out);
    std::cout << "export-hf: " << format_count(static_cast<double>(s.params)) << " parameters -> " << *out
              << (s.tokenizer ? " (with vocab.json + merges.txt)" : " (no tokenizer files)") << "\n";
    for (const auto& n : s.notes) std::cout << "  note: " << n << "\n";
  });
}

}  // namespace localist::app
