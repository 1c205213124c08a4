// localist explain: the audit view of one text. Runs the checkpoint causally with the dial as
// configured and shows, for every token and layer/head, which block and anchor its attention
// read, how much of it fell on the block and anchors the rules name (block / pointer fidelity
// of that query), its entropy, and what the model predicted next (docs/explain.md).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "opened_checkpoint.h"
#include "localist/report/explain_table.h"
#include "localist/report/text_format.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/metrics/text_explain.h"
#include "localist/model/dial.h"
#include "localist/report/explain_json.h"
#include "localist/run/checkpoint.h"

namespace localist::app {

namespace {
struct ExplainArgs {
  std::string checkpoint, text, file;
  int64_t layer = -1, head = -1;  // -1: every layer / head
  bool summary = false, json = false;
  InferenceArgs run;  // device, threads, localist overrides
};

std::string read_text(const ExplainArgs& a, bool from_file) {
  if (from_file) {
    std::ifstream in(a.file, std::ios::binary);
    if (!in) throw PathError("explain: cannot read --file '" + a.file + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().find_first_not_of(" \t\r\n") == std::string::npos)
      throw DataError("explain: --file '" + a.file + "' is empty; nothing to explain");
    return ss.str();
  }
  if (a.text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw DataError("explain: the text is empty; give --text \"...\" or --file PATH");
  return a.text;
}

void check_index(const char* flag, int64_t value, int64_t n, const char* what) {
  if (value < 0 || value >= n)
    throw ConfigError(std::string("explain: ") + flag + " " + std::to_string(value) + " is outside 0.." +
                      std::to_string(n - 1) + ": the checkpoint has " + std::to_string(n) + " " + what);
}

// Everything one explanation shows, for the JSON and the table.
struct Explanation {
  const ExplainArgs& args;
  const OpenedCheckpoint& c;
  const ExplainView view;
};

void print_explanation(const Explanation& x) {
  const auto& mc = x.c.lm.meta.model;
  const auto& v = x.view;
  const std::string kappa = nlohmann::json(x.c.localist)["kappa"].dump();
  std::printf("explain %s (step %lld) | blocks %s | lambda %.2f | kappa %s | %lld tokens | causal\n",
              x.args.checkpoint.c_str(), static_cast<long long>(x.c.lm.meta.step), x.c.blocks.describe().c_str(),
              x.c.dial.lambda, kappa.c_str(), static_cast<long long>(v.ids.size()));
  if (!v.note.empty()) std::printf("note: %s\n", v.note.c_str());
  std::printf("over %zu head(s) and %lld queries: block fidelity %s | pointer fidelity %s | entropy "
              "%.3f bits (max-entropy reference %.3f)\n",
              v.shown.size(), static_cast<long long>(v.ids.size()), fixed(v.summary.block_fidelity, 4).c_str(),
              fixed(v.summary.pointer_fidelity, 4).c_str(), v.summary.entropy_bits, v.summary.max_entropy_bits);
  print_explain_table({v.explained, x.c.blocks, *x.c.lm.tokenizer, v.ids, v.shown, mc.n_layer, mc.n_head,
                       mc.context_length, x.args.summary});
}

void run_explain(const ExplainArgs& a, const CLI::App& cmd) {
  if (!cmd.count("--text") && !cmd.count("--file"))
    throw ConfigError("explain: give the text to explain with --text \"...\" or --file PATH");
  const std::string text = read_text(a, cmd.count("--file") > 0);
  const auto c = open_checkpoint(a.checkpoint, cmd, a.run);
  const auto& mc = c.lm.meta.model;
  require_causal(mc, "explain");
  if (cmd.count("--layer")) check_index("--layer", a.layer, mc.n_layer, "layers");
  if (cmd.count("--head")) check_index("--head", a.head, mc.n_head, "heads per layer");
  const auto ids = c.lm.tokenizer->encode(text);
  if (ids.empty()) throw DataError("explain: the text encodes to no tokens; nothing to explain");
  Gpt model = c.lm.model;
  const auto explained = explain_text(model, c.blocks, c.dial, ids, c.device);
  const auto shown = shown_heads(mc, a.layer, a.head);
  const Explanation x{a, c, {a.checkpoint, c.lm.meta.step, mc, c.localist, c.blocks, c.dial, *c.lm.tokenizer, ids,
                             explained, shown, summarize(explained, shown),
                             window_note(static_cast<int64_t>(ids.size()), mc.context_length, explained.windows),
                             cmd.count("--layer") ? a.layer : -1, cmd.count("--head") ? a.head : -1}};
  if (a.json) std::cout << explanation_json(x.view).dump() << "\n";
  else print_explanation(x);
}

}  // namespace

void add_explain(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "explain", "audit view of a text: per token and head, the block and anchor attention read, "
                 "block/pointer fidelity, entropy, prediction");
  auto a = std::make_shared<ExplainArgs>();
  cmd->add_option("checkpoint", a->checkpoint, "run or checkpoint directory")->required();
  auto* text = cmd->add_option("--text", a->text, "the text to explain");
  auto* file = cmd->add_option("--file", a->file, "read the text to explain from a file");
  text->excludes(file);
  auto* layer = cmd->add_option("--layer", a->layer, "show this layer only (default: every layer)");
  auto* head = cmd->add_option("--head", a->head, "show this head only (default: every head)");
  cmd->add_flag("--summary", a->summary, "one row per token: the mean over all layers and heads")
      ->excludes(layer)
      ->excludes(head);
  cmd->add_flag("--json", a->json, "print one JSON object with every token, layer and head");
  add_device_options(*cmd, a->run.device, a->run.threads);
  add_localist_options(*cmd, a->run.localist);
  cmd->callback([a, cmd] { run_explain(*a, *cmd); });
}

}  // namespace localist::app
