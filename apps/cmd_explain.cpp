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
  cmd->callback([a, cmd] {
    if (!cmd->count("--text") && !cmd->count("--file"))
      throw ConfigError("explain: give the text to explain with --text \"...\" or --file PATH");
    const std::string text = read_text(*a, cmd->count("--file") > 0);
    auto c = open_checkpoint(a->checkpoint, *cmd, a->run);
    auto& lm = c.lm;
    const auto device = c.device;
    require_causal(lm.meta.model, "explain");
    const auto& mc = lm.meta.model;
    if (cmd->count("--layer")) check_index("--layer", a->layer, mc.n_layer, "layers");
    if (cmd->count("--head")) check_index("--head", a->head, mc.n_head, "heads per layer");
    const LocalistConfig& lc = c.localist;
    const auto& blocks = c.blocks;
    const Dial dial = c.dial;
    const auto& tok = *lm.tokenizer;
    const auto ids = tok.encode(text);
    if (ids.empty()) throw DataError("explain: the text encodes to no tokens; nothing to explain");

    const int64_t n = ids.size(), T = mc.context_length;
    const auto explained = explain_text(lm.model, blocks, dial, ids, device);
    const auto& rows = explained.rows;
    const int64_t windows = explained.windows;

    // The heads shown (and summarised): every one, or the --layer / --head selection.
    std::vector<std::pair<int64_t, int64_t>> shown;
    for (int64_t l = 0; l < mc.n_layer; ++l)
      for (int64_t h = 0; h < mc.n_head; ++h)
        if ((a->layer < 0 || l == a->layer) && (a->head < 0 || h == a->head)) shown.push_back({l, h});
    const auto sum = summarize(explained, shown);
    const double block_fidelity = sum.block_fidelity, pointer_fidelity = sum.pointer_fidelity;
    const double entropy = sum.entropy_bits;
    const int64_t block_n = sum.block_n, pointer_n = sum.pointer_n;
    const std::string kappa = nlohmann::json(lc)["kappa"].dump();
    const std::string note =
        windows > 1 ? "the text is " + std::to_string(n) + " tokens, longer than the context (context_length " +
                          std::to_string(T) + "): explained in " + std::to_string(windows) +
                          " consecutive windows, each read causally from its own start as in eval "
                          "(no context carries over; block ids are per window)"
                    : "";

    if (a->json) {
      auto head_json = [&](const HeadExplanation& e, int64_t offset) {
        nlohmann::json anchor = nullptr;
        if (e.top_anchor >= 0)
          anchor = {{"position", offset + e.top_anchor},
                    {"token", ids[offset + e.top_anchor]},
                    {"text", tok.token_text(ids[offset + e.top_anchor])},
                    {"block", e.top_anchor_block},
                    {"block_name", blocks.block_name(e.top_anchor_block)},
                    {"mass", e.top_anchor_mass}};
        return nlohmann::json{{"top_block", e.top_block},
                              {"top_block_name", blocks.block_name(e.top_block)},
                              {"top_block_mass", e.top_block_mass},
                              {"target_mass", number(e.target_mass)},
                              {"top_anchor", anchor},
                              {"target_anchor_mass", number(e.target_anchor_mass)},
                              {"entropy_bits", e.entropy_bits}};
      };
      nlohmann::json tokens = nlohmann::json::array();
      for (const auto& r : rows) {
        nlohmann::json heads = nlohmann::json::array();
        for (auto [l, h] : shown) {
          auto j = head_json(r.e.heads[l][h], r.offset);
          j["layer"] = l;
          j["head"] = h;
          heads.push_back(j);
        }
        nlohmann::json next = nullptr;
        if (r.p.next >= 0)
          next = {{"token", r.p.next}, {"text", tok.token_text(r.p.next)}, {"probability", r.p.next_p}};
        tokens.push_back({{"position", r.offset + r.e.position},
                          {"window", r.window},
                          {"window_position", r.e.position},
                          {"token", r.token},
                          {"text", tok.token_text(r.token)},
                          {"block", r.e.block},
                          {"block_name", blocks.block_name(r.e.block)},
                          {"target", r.e.target},
                          {"target_name", r.e.target < 0 ? nlohmann::json(nullptr)
                                                          : nlohmann::json(blocks.block_name(r.e.target))},
                          {"predicted",
                           {{"token", r.p.predicted},
                            {"text", tok.token_text(r.p.predicted)},
                            {"probability", r.p.predicted_p}}},
                          {"next", next},
                          {"mean", head_json(r.e.mean, r.offset)},
                          {"heads", heads}});
      }
      nlohmann::json j = {
          {"checkpoint", a->checkpoint},
          {"step", lm.meta.step},
          {"causal", true},
          {"blocks", lc.blocks},
          {"blocks_description", blocks.describe()},
          {"lambda", dial.lambda},
          {"kappa", nlohmann::json(lc)["kappa"]},
          {"lambda_layer_power", lc.lambda_layer_power},
          {"n_layer", mc.n_layer},
          {"n_head", mc.n_head},
          {"context_length", T},
          {"tokens", n},
          {"windows", windows},
          {"note", note.empty() ? nlohmann::json(nullptr) : nlohmann::json(note)},
          {"layer", cmd->count("--layer") ? nlohmann::json(a->layer) : nlohmann::json(nullptr)},
          {"head", cmd->count("--head") ? nlohmann::json(a->head) : nlohmann::json(nullptr)},
          {"summary",
           {{"block_fidelity", number(block_fidelity)},
            {"pointer_fidelity", number(pointer_fidelity)},
            {"attention_entropy_bits", entropy},
            {"max_entropy_bits", sum.max_entropy_bits},
            {"heads", shown.size()},
            {"queries", n},
            {"block_excluded", static_cast<int64_t>(rows.size() * shown.size()) - block_n},
            {"pointer_excluded", static_cast<int64_t>(rows.size() * shown.size()) - pointer_n}}},
          {"per_token", tokens}};
      std::cout << j.dump() << "\n";
      return;
    }

    std::printf("explain %s (step %lld) | blocks %s | lambda %.2f | kappa %s | %lld tokens | causal\n",
                a->checkpoint.c_str(), static_cast<long long>(lm.meta.step), blocks.describe().c_str(),
                dial.lambda, kappa.c_str(), static_cast<long long>(n));
    if (!note.empty()) std::printf("note: %s\n", note.c_str());
    std::printf("over %zu head(s) and %lld queries: block fidelity %s | pointer fidelity %s | entropy "
                "%.3f bits (max-entropy reference %.3f)\n",
                shown.size(), static_cast<long long>(n), fixed(block_fidelity, 4).c_str(),
                fixed(pointer_fidelity, 4).c_str(), entropy, sum.max_entropy_bits);
    print_explain_table({explained, blocks, tok, ids, shown, mc.n_layer, mc.n_head, T, a->summary});
  });
}

}  // namespace localist::app
