// localist synth: write the embedded synthetic corpus (data/synthetic.h) to a file, e.g. to mix
// it with other text or to read it. The same settings as training's --synth-* options; the
// split picks the seed and size exactly as training does (train: --synth-tokens, valid/test:
// a tenth, seeds + 1 / + 2).
#include <cstdio>

#include "commands.h"
#include "localist/core/atomic_file.h"
#include "localist/data/corpus.h"
#include "localist/data/synthetic.h"

namespace localist::app {

void add_synth(CLI::App& app) {
  auto* cmd = app.add_subcommand("synth", "write the embedded synthetic corpus to a text file");
  struct Args {
    std::string out, split = "train";
    DataConfig data;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--out", a->out, "the text file to write")->required();
  cmd->add_option("--split", a->split, "train | valid | test")->capture_default_str();
  add_data_options(*cmd, a->data);
  cmd->callback([a] {
    const auto spec = data::synthetic_split_spec(a->data, a->split);
    const auto corpus = data::generate_synthetic(spec);
    write_text_atomically(a->out, corpus.text);
    std::printf("synthetic %s split: %lld tokens (%zu bytes) -> %s\n", a->split.c_str(),
                static_cast<long long>(corpus.size()), corpus.text.size(), a->out.c_str());
  });
}

}  // namespace localist::app
