// localist synth: write a generated corpus to files.
//   --family synthetic (default)  the embedded synthetic corpus (data/synthetic.h) to one file, e.g.
//                                 to mix it with other text; the same settings as training's
//                                 --synth-* options; the split picks the seed and size exactly as
//                                 training does (train: --synth-tokens, valid/test: a tenth, seeds + 1 / + 2)
//   --family topics               the topic corpus (data/topic_corpus.h: made-up words, shared tokens,
//                                 unequal blocks, references across blocks) to a directory:
//                                 train.txt (--synth-tokens), valid.txt and test.txt (a tenth each)
//                                 and truth.json; the world from --synth-seed, each split's text
//                                 from its own seed. Train on it with --data DIR --tokenizer word.
//                                 --topic-shuffled: the null corpus (nothing to find);
//                                 --topic-phases P: phase-1.txt .. phase-P.txt, each with more topics
//                                 (train --phase DIR/phase-1.txt:STEPS ...)
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "localist/core/atomic_file.h"
#include "localist/core/errors.h"
#include "localist/data/corpus.h"
#include "localist/data/portable_random.h"
#include "localist/data/synthetic.h"
#include "localist/data/topic_corpus.h"

namespace localist::app {
namespace {

// Topics available in phase p of P (1-based): the first ceil(K p / P).
int64_t topics_in_phase(int64_t K, int64_t p, int64_t P) { return (K * p + P - 1) / P; }

void write_topics(const std::string& dir, const DataConfig& data, data::TopicSpec spec, int64_t phases) {
  spec.n_blocks = data.synth_blocks;
  spec.seed = data.synth_seed;
  const auto world = data::topic_world(spec);  // ConfigError naming the field, before any file
  if (phases < 1 || phases > spec.n_blocks)
    throw ConfigError("synth: --topic-phases " + std::to_string(phases) + ": expected 1.." + std::to_string(spec.n_blocks) +
                      " (each phase brings at least one topic)");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw PathError("synth: cannot create '" + dir + "': " + ec.message());
  const int64_t held_out = std::max<int64_t>(1000, data.synth_tokens / 10);
  uint64_t k = 0;
  std::string train;  // phases: one text per phase, train.txt their concatenation
  for (int64_t p = 1; p <= phases; ++p) {
    const int64_t available = phases > 1 ? topics_in_phase(spec.n_blocks, p, phases) : 0;
    const auto text = data::topic_text(spec, world, data.synth_tokens / phases, data::splitmix64(spec.seed * 3 + k++), available);
    if (phases > 1) write_text_atomically(dir + "/phase-" + std::to_string(p) + ".txt", text);
    train += text;
  }
  write_text_atomically(dir + "/train.txt", train);
  for (const char* name : {"valid", "test"})
    write_text_atomically(dir + "/" + name + ".txt",
                          data::topic_text(spec, world, held_out, data::splitmix64(spec.seed * 3 + k++)));
  auto truth = data::topic_truth(spec, world);
  if (phases > 1) {
    truth["phases"] = phases;
    for (int64_t i = 0; i < static_cast<int64_t>(truth["blocks"].size()); ++i)
      for (int64_t p = 1; p <= phases; ++p)
        if (topics_in_phase(spec.n_blocks, p, phases) > i) { truth["blocks"][i]["phase"] = p; break; }
  }
  write_text_atomically(dir + "/truth.json", truth.dump(1) + "\n");
  std::printf("topic corpus: %lld topics%s, world seed %llu, %lld train tokens%s -> %s/{train,valid,test}.txt, truth.json\n",
              static_cast<long long>(spec.n_blocks), spec.shuffled ? " (shuffled: a null corpus)" : "",
              static_cast<unsigned long long>(spec.seed), static_cast<long long>(data.synth_tokens),
              phases > 1 ? (" in " + std::to_string(phases) + " phases (phase-1.txt ...)").c_str() : "", dir.c_str());
}

}  // namespace

void add_synth(CLI::App& app) {
  auto* cmd = app.add_subcommand("synth", "write a generated corpus (the embedded synthetic one, or the topic family) to files");
  struct Args {
    std::string out, split = "train", family = "synthetic";
    int64_t phases = 1;
    DataConfig data;
    data::TopicSpec topics;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--out", a->out, "the text file to write (--family topics: a directory)")->required();
  cmd->add_option("--split", a->split, "train | valid | test (--family synthetic)")->capture_default_str();
  cmd->add_option("--family", a->family, "synthetic | topics")->check(CLI::IsMember({"synthetic", "topics"}))->capture_default_str();
  auto& t = a->topics;
  cmd->add_option("--topic-min-vocab", t.min_vocab, "topics: fewest content words of a topic")->capture_default_str();
  cmd->add_option("--topic-max-vocab", t.max_vocab, "topics: most content words of a topic")->capture_default_str();
  cmd->add_option("--topic-keys", t.keys, "topics: key words per topic (each fixes the segment's last word)")->capture_default_str();
  cmd->add_option("--topic-zipf", t.zipf, "topics: topic frequency ~ (rank + 1)^-zipf")->capture_default_str();
  cmd->add_option("--topic-function-rate", t.function_rate, "topics: P(a function word before a content word)")->capture_default_str();
  cmd->add_option("--topic-cross-rate", t.cross_rate, "topics: P(a content word from another topic)")->capture_default_str();
  cmd->add_option("--topic-min-len", t.min_len, "topics: fewest content words of a segment")->capture_default_str();
  cmd->add_option("--topic-max-len", t.max_len, "topics: most content words of a segment")->capture_default_str();
  cmd->add_flag("--topic-shuffled", t.shuffled, "topics: a null corpus, every topic word drawn regardless of its segment");
  cmd->add_option("--topic-phases", a->phases, "topics: topics arrive in this many phases (phase-1.txt ...; train.txt all of them)")
      ->capture_default_str();
  add_data_options(*cmd, a->data);
  cmd->callback([a] {
    if (a->family == "topics") return write_topics(a->out, a->data, a->topics, a->phases);
    const auto spec = data::synthetic_split_spec(a->data, a->split);
    const auto corpus = data::generate_synthetic(spec);
    write_text_atomically(a->out, corpus.text);
    std::printf("synthetic %s split: %lld tokens (%zu bytes) -> %s\n", a->split.c_str(),
                static_cast<long long>(corpus.size()), corpus.text.size(), a->out.c_str());
  });
}

}  // namespace localist::app
