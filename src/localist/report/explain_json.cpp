#include "localist/report/explain_json.h"

#include <cmath>

#include "localist/core/json_text.h"

namespace localist {

namespace {

nlohmann::json head_json(const HeadExplanation& e, int64_t offset, const ExplainView& n) {
  nlohmann::json anchor = nullptr;
  if (e.top_anchor >= 0)
    anchor = {{"position", offset + e.top_anchor},
              {"token", n.ids[offset + e.top_anchor]},
              {"text", n.tokenizer.token_text(n.ids[offset + e.top_anchor])},
              {"block", e.top_anchor_block},
              {"block_name", n.blocks.block_name(e.top_anchor_block)},
              {"mass", e.top_anchor_mass}};
  return {{"top_block", e.top_block},
          {"top_block_name", n.blocks.block_name(e.top_block)},
          {"top_block_mass", e.top_block_mass},
          {"target_mass", json_number(e.target_mass)},
          {"top_anchor", anchor},
          {"target_anchor_mass", json_number(e.target_anchor_mass)},
          {"entropy_bits", e.entropy_bits}};
}

nlohmann::json token_json(const ExplainedToken& r, const ExplainView& n) {
  nlohmann::json heads = nlohmann::json::array();
  for (auto [l, h] : n.shown) {
    auto j = head_json(r.e.heads[l][h], r.offset, n);
    j["layer"] = l;
    j["head"] = h;
    heads.push_back(j);
  }
  const auto& tok = n.tokenizer;
  nlohmann::json next = nullptr;
  if (r.p.next >= 0) next = {{"token", r.p.next}, {"text", tok.token_text(r.p.next)}, {"probability", r.p.next_p}};
  return {{"position", r.offset + r.e.position},
          {"window", r.window},
          {"window_position", r.e.position},
          {"token", r.token},
          {"text", tok.token_text(r.token)},
          {"block", r.e.block},
          {"block_name", n.blocks.block_name(r.e.block)},
          {"target", r.e.target},
          {"target_name", r.e.target < 0 ? nlohmann::json(nullptr) : nlohmann::json(n.blocks.block_name(r.e.target))},
          {"predicted", {{"token", r.p.predicted}, {"text", tok.token_text(r.p.predicted)}, {"probability", r.p.predicted_p}}},
          {"next", next},
          {"mean", head_json(r.e.mean, r.offset, n)},
          {"heads", heads}};
}

nlohmann::json selected(int64_t i) { return i < 0 ? nlohmann::json(nullptr) : nlohmann::json(i); }
}  // namespace

nlohmann::json explanation_json(const ExplainView& x) {
  nlohmann::json tokens = nlohmann::json::array();
  for (const auto& r : x.explained.rows) tokens.push_back(token_json(r, x));
  const int64_t n = static_cast<int64_t>(x.ids.size());
  const auto scored = static_cast<int64_t>(x.explained.rows.size() * x.shown.size());
  return {{"checkpoint", x.checkpoint},
          {"step", x.step},
          {"causal", true},
          {"blocks", x.localist.blocks},
          {"blocks_description", x.blocks.describe()},
          {"lambda", x.dial.lambda},
          {"kappa", nlohmann::json(x.localist)["kappa"]},
          {"lambda_layer_power", x.localist.lambda_layer_power},
          {"n_layer", x.model.n_layer},
          {"n_head", x.model.n_head},
          {"context_length", x.model.context_length},
          {"tokens", n},
          {"windows", x.explained.windows},
          {"note", x.note.empty() ? nlohmann::json(nullptr) : nlohmann::json(x.note)},
          {"layer", selected(x.layer)},
          {"head", selected(x.head)},
          {"summary",
           {{"block_fidelity", json_number(x.summary.block_fidelity)},
            {"pointer_fidelity", json_number(x.summary.pointer_fidelity)},
            {"attention_entropy_bits", x.summary.entropy_bits},
            {"max_entropy_bits", x.summary.max_entropy_bits},
            {"heads", x.shown.size()},
            {"queries", n},
            {"block_excluded", scored - x.summary.block_n},
            {"pointer_excluded", scored - x.summary.pointer_n}}},
          {"per_token", tokens}};
}

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

}  // namespace localist
