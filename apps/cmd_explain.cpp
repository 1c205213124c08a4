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
#include "explain_table.h"
#include "text_format.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/metrics/text_explain.h"
#include "localist/model/dial.h"
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

nlohmann::json number(double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); }

// What the JSON output describes names tokens and blocks by text as well as by id.
struct Naming {
  const std::vector<int32_t>& ids;
  const data::Tokenizer& tok;
  const BlockMap& blocks;
};

nlohmann::json head_json(const HeadExplanation& e, int64_t offset, const Naming& n) {
  nlohmann::json anchor = nullptr;
  if (e.top_anchor >= 0)
    anchor = {{"position", offset + e.top_anchor},
              {"token", n.ids[offset + e.top_anchor]},
              {"text", n.tok.token_text(n.ids[offset + e.top_anchor])},
              {"block", e.top_anchor_block},
              {"block_name", n.blocks.block_name(e.top_anchor_block)},
              {"mass", e.top_anchor_mass}};
  return {{"top_block", e.top_block},
          {"top_block_name", n.blocks.block_name(e.top_block)},
          {"top_block_mass", e.top_block_mass},
          {"target_mass", number(e.target_mass)},
          {"top_anchor", anchor},
          {"target_anchor_mass", number(e.target_anchor_mass)},
          {"entropy_bits", e.entropy_bits}};
}

nlohmann::json token_json(const ExplainedToken& r, const std::vector<std::pair<int64_t, int64_t>>& shown,
                          const Naming& n) {
  nlohmann::json heads = nlohmann::json::array();
  for (auto [l, h] : shown) {
    auto j = head_json(r.e.heads[l][h], r.offset, n);
    j["layer"] = l;
    j["head"] = h;
    heads.push_back(j);
  }
  nlohmann::json next = nullptr;
  if (r.p.next >= 0) next = {{"token", r.p.next}, {"text", n.tok.token_text(r.p.next)}, {"probability", r.p.next_p}};
  return {{"position", r.offset + r.e.position},
          {"window", r.window},
          {"window_position", r.e.position},
          {"token", r.token},
          {"text", n.tok.token_text(r.token)},
          {"block", r.e.block},
          {"block_name", n.blocks.block_name(r.e.block)},
          {"target", r.e.target},
          {"target_name", r.e.target < 0 ? nlohmann::json(nullptr) : nlohmann::json(n.blocks.block_name(r.e.target))},
          {"predicted", {{"token", r.p.predicted}, {"text", n.tok.token_text(r.p.predicted)}, {"probability", r.p.predicted_p}}},
          {"next", next},
          {"mean", head_json(r.e.mean, r.offset, n)},
          {"heads", heads}};
}

// The heads shown (and summarised): every one, or the --layer / --head selection.
std::vector<std::pair<int64_t, int64_t>> shown_heads(const ModelConfig& mc, int64_t layer, int64_t head) {
  std::vector<std::pair<int64_t, int64_t>> shown;
  for (int64_t l = 0; l < mc.n_layer; ++l)
    for (int64_t h = 0; h < mc.n_head; ++h)
      if ((layer < 0 || l == layer) && (head < 0 || h == head)) shown.push_back({l, h});
  return shown;
}

std::string window_note(int64_t n, int64_t context, int64_t windows) {
  if (windows <= 1) return "";
  return "the text is " + std::to_string(n) + " tokens, longer than the context (context_length " +
         std::to_string(context) + "): explained in " + std::to_string(windows) +
         " consecutive windows, each read causally from its own start as in eval "
         "(no context carries over; block ids are per window)";
}

// Everything one explanation shows, for the JSON and the table.
struct Explanation {
  const ExplainArgs& args;
  const CLI::App& cmd;
  const OpenedCheckpoint& c;
  const std::vector<int32_t>& ids;
  const TextExplanation& explained;
  const std::vector<std::pair<int64_t, int64_t>>& shown;
  const ExplainSummary& sum;
  std::string note;
};

nlohmann::json explanation_json(const Explanation& x) {
  const auto& mc = x.c.lm.meta.model;
  const auto& lc = x.c.localist;
  const Naming naming{x.ids, *x.c.lm.tokenizer, x.c.blocks};
  nlohmann::json tokens = nlohmann::json::array();
  for (const auto& r : x.explained.rows) tokens.push_back(token_json(r, x.shown, naming));
  const int64_t n = static_cast<int64_t>(x.ids.size());
  const auto scored = static_cast<int64_t>(x.explained.rows.size() * x.shown.size());
  return {{"checkpoint", x.args.checkpoint},
          {"step", x.c.lm.meta.step},
          {"causal", true},
          {"blocks", lc.blocks},
          {"blocks_description", x.c.blocks.describe()},
          {"lambda", x.c.dial.lambda},
          {"kappa", nlohmann::json(lc)["kappa"]},
          {"lambda_layer_power", lc.lambda_layer_power},
          {"n_layer", mc.n_layer},
          {"n_head", mc.n_head},
          {"context_length", mc.context_length},
          {"tokens", n},
          {"windows", x.explained.windows},
          {"note", x.note.empty() ? nlohmann::json(nullptr) : nlohmann::json(x.note)},
          {"layer", x.cmd.count("--layer") ? nlohmann::json(x.args.layer) : nlohmann::json(nullptr)},
          {"head", x.cmd.count("--head") ? nlohmann::json(x.args.head) : nlohmann::json(nullptr)},
          {"summary",
           {{"block_fidelity", number(x.sum.block_fidelity)},
            {"pointer_fidelity", number(x.sum.pointer_fidelity)},
            {"attention_entropy_bits", x.sum.entropy_bits},
            {"max_entropy_bits", x.sum.max_entropy_bits},
            {"heads", x.shown.size()},
            {"queries", n},
            {"block_excluded", scored - x.sum.block_n},
            {"pointer_excluded", scored - x.sum.pointer_n}}},
          {"per_token", tokens}};
}

void print_explanation(const Explanation& x) {
  const auto& mc = x.c.lm.meta.model;
  const std::string kappa = nlohmann::json(x.c.localist)["kappa"].dump();
  std::printf("explain %s (step %lld) | blocks %s | lambda %.2f | kappa %s | %lld tokens | causal\n",
              x.args.checkpoint.c_str(), static_cast<long long>(x.c.lm.meta.step), x.c.blocks.describe().c_str(),
              x.c.dial.lambda, kappa.c_str(), static_cast<long long>(x.ids.size()));
  if (!x.note.empty()) std::printf("note: %s\n", x.note.c_str());
  std::printf("over %zu head(s) and %lld queries: block fidelity %s | pointer fidelity %s | entropy "
              "%.3f bits (max-entropy reference %.3f)\n",
              x.shown.size(), static_cast<long long>(x.ids.size()), fixed(x.sum.block_fidelity, 4).c_str(),
              fixed(x.sum.pointer_fidelity, 4).c_str(), x.sum.entropy_bits, x.sum.max_entropy_bits);
  print_explain_table({x.explained, x.c.blocks, *x.c.lm.tokenizer, x.ids, x.shown, mc.n_layer, mc.n_head,
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
  const auto sum = summarize(explained, shown);
  const Explanation x{a, cmd, c, ids, explained, shown, sum,
                      window_note(static_cast<int64_t>(ids.size()), mc.context_length, explained.windows)};
  if (a.json) std::cout << explanation_json(x).dump() << "\n";
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
