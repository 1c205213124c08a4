// localist import-hf DIR --out RUN: a Hugging Face GPT-2 checkpoint as a run directory.
#include <iostream>

#include "commands.h"
#include "localist/core/progress.h"
#include "localist/hf/import_hf.h"

namespace localist::app {

void add_import_hf(CLI::App& app) {
  auto* cmd = app.add_subcommand("import-hf", "a Hugging Face GPT-2 checkpoint directory (config.json, "
                                              "model.safetensors, vocab.json + merges.txt or tokenizer.json) "
                                              "as a run every command takes; pickles are refused");
  auto dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("dir", *dir, "the Hugging Face model directory")->required();
  cmd->add_option("--out", *out, "the run directory to write")->required();
  cmd->callback([dir, out] {
    Stopwatch clock;
    const auto s = hf::import_gpt2(*dir, *out);
    const auto& m = s.model;
    std::cout << "import-hf: " << format_count(static_cast<double>(s.params)) << " parameters, " << m.n_layer
              << " layers, d=" << m.n_embd << ", " << m.n_head << " heads, context " << m.context_length
              << ", vocab " << m.vocab_size << " (GPT-2 byte-level BPE), activation " << m.activation << " -> "
              << s.checkpoint_dir << " in " << format_duration(clock.seconds()) << "\n"
              << "  the run has no data of its own: give --data to eval, sweep and train --init-from\n";
  });
}

}  // namespace localist::app
