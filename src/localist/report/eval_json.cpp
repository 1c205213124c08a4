#include "localist/report/eval_json.h"

namespace localist {

const char* const kLeakWarning = "NOT CAUSAL: each position sees the token it predicts; these numbers leak";

namespace {
// (L, H) tensor -> nested JSON arrays
nlohmann::json per_head(const torch::Tensor& t) {
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t l = 0; l < t.size(0); ++l) {
    nlohmann::json row = nlohmann::json::array();
    for (int64_t h = 0; h < t.size(1); ++h) row.push_back(t[l][h].item<double>());
    rows.push_back(row);
  }
  return rows;
}
// (L, H, K, K) -> nested arrays: [layer][head][query block][key block]
nlohmann::json block_mass_json(const torch::Tensor& t) {
  nlohmann::json layers = nlohmann::json::array();
  for (int64_t l = 0; l < t.size(0); ++l) {
    nlohmann::json heads = nlohmann::json::array();
    for (int64_t h = 0; h < t.size(1); ++h) {
      auto m = t[l][h].contiguous();
      std::vector<std::vector<double>> rows(m.size(0), std::vector<double>(m.size(1)));
      for (int64_t q = 0; q < m.size(0); ++q)
        for (int64_t k = 0; k < m.size(1); ++k) rows[q][k] = m[q][k].item<double>();
      heads.push_back(rows);
    }
    layers.push_back(heads);
  }
  return layers;
}
// The sparsity pattern of the weight-group penalty: which head reads which unit group.
nlohmann::json weight_groups_json(const torch::Tensor& norms) {  // (L, H, 2, K)
  nlohmann::json active = nlohmann::json::array();  // [layer][head]: "QK" strings per group
  for (int64_t l = 0; l < norms.size(0); ++l) {
    nlohmann::json heads = nlohmann::json::array();
    for (int64_t h = 0; h < norms.size(1); ++h) {
      std::string row;
      for (int64_t i = 0; i < norms.size(3); ++i)
        row += std::string(norms[l][h][0][i].item<double>() > 0 ? "Q" : "-") +
               (norms[l][h][1][i].item<double>() > 0 ? "K" : "-") + (i + 1 < norms.size(3) ? " " : "");
      heads.push_back(row);
    }
    active.push_back(heads);
  }
  return {{"unit_groups", norms.size(3)},
          {"groups", norms.numel()},
          {"zero_groups", (norms == 0).sum().item<int64_t>()},
          {"active", active}};
}
}  // namespace

nlohmann::json eval_json(const CheckpointEval& ev, const LocalistConfig& lc, bool causal, bool flash) {
  const auto& r = ev.lm;
  const auto& am = ev.attention;
  nlohmann::json j = {{"perplexity", r.perplexity}, {"accuracy", r.accuracy},
                      {"tokens", r.tokens},         {"nll_nats", r.nll},
                      {"causal", causal},
                      {"blocks", lc.blocks},        {"lambda", lc.lambda},
                      {"kappa", nlohmann::json(lc)["kappa"]},
                      {"attention_entropy_bits", am.entropy_bits},
                      {"max_entropy_bits", am.max_entropy_bits},
                      {"pointer_fidelity", am.pointer_fidelity},
                      {"block_fidelity", am.block_fidelity},
                      {"attention_queries_per_head", am.queries},
                      {"pointer_excluded_per_head", am.pointer_excluded},
                      {"block_excluded_per_head", am.block_excluded},
                      {"attention_entropy_bits_per_head", per_head(am.entropy_per_head)},
                      {"pointer_fidelity_per_head", per_head(am.pointer_per_head)},
                      {"block_fidelity_per_head", per_head(am.block_per_head)},
                      {"attention_path", flash ? "flash" : "materialised"},
                      {"block_mass", flash ? nlohmann::json(nullptr) : block_mass_json(am.block_mass)},
                      {"weight_groups", weight_groups_json(ev.weight_group_norms)}};
  if (ev.cross_groups > 0) j["cross_groups"] = {{"groups", ev.cross_groups}, {"zero_groups", ev.cross_zero_groups}};
  if (!causal) j["warning"] = kLeakWarning;
  return j;
}

}  // namespace localist
