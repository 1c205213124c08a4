#include "localist/report/hierarchy_eval_text.h"

#include <string>

namespace localist {
namespace {

using json = nlohmann::json;

std::string json_cell(const json& x, const char* format) {  // "-" where a value is undefined
  if (x.is_null()) return "-";
  if (x.is_string()) return x.get<std::string>();
  char buf[32];
  std::snprintf(buf, sizeof buf, format, x.get<double>());
  return buf;
}

void print_routing(std::FILE* out, const json& e) {
  std::fprintf(out, "hierarchy %s: %zu models, segments of %lld tokens, hard routing after %lld predictions\n",
              e["hierarchy"].get<std::string>().c_str(), e["members"].size(),
              static_cast<long long>(e["segment_tokens"].get<int64_t>()),
              static_cast<long long>(e["routing_prefix"].get<int64_t>()));
  std::fprintf(out, "| domain | own model | segments | ppl base | ppl hard | ppl soft | ppl oracle | routing acc. |\n");
  std::fprintf(out, "|---|---|---|---|---|---|---|---|\n");
  auto row = [out](const json& d, const std::string& name, const std::string& own) {
    std::fprintf(out, "| %s | %s | %lld | %.3f | %.3f | %.3f | %.3f | %.1f%% |\n", name.c_str(), own.c_str(),
                static_cast<long long>(d["segments"].get<int64_t>()), d["ppl_base"].get<double>(),
                d["ppl_hard"].get<double>(), d["ppl_soft"].get<double>(), d["ppl_oracle"].get<double>(),
                100 * d["routing_accuracy"].get<double>());
  };
  for (const auto& d : e["domains"]) row(d, d["domain"], d["own_model"]);
  row(e["all"], "all", "-");
  std::fprintf(out, "hard - soft: %+.4f nats/prediction\n", e["all"]["hard_minus_soft_nats"].get<double>());
}

// The routed bound check: per member, what hard and soft routing gave it to audit.
void print_member_bounds(std::FILE* out, const json& e) {
  const auto& b = e["bounds"];
  std::fprintf(out, "\nconcentration guarantee per routed member (eps = mass off the auditing member's target "
              "block of the weighted attention; B = Lemma 1's bound at the member's uniform margin, the "
              "%g-th percentile; mixed = w B + 1 - w):\n",
              b["margin_percentile"].get<double>());
  std::fprintf(out, "| member | delta | routing | queries | mean w | eps | B | eps <= B | mixed | eps <= mixed |\n"
              "|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& name : e["members"])
    for (const char* r : {"hard", "soft"}) {
      const auto& m = b["members"][name.get<std::string>()];
      const auto& c = m[r];
      std::fprintf(out, "| %s | %s | %s | %lld | %s | %s | %s | %s | %s | %s |\n", name.get<std::string>().c_str(),
                  json_cell(m["uniform_margin"], "%.4g").c_str(), r, static_cast<long long>(c["queries"].get<int64_t>()),
                  json_cell(c["weight"], "%.4g").c_str(), json_cell(c["off_target_mass"], "%.4g").c_str(),
                  json_cell(c["bound"], "%.4g").c_str(), json_cell(c["within_bound"], "%.4g").c_str(),
                  json_cell(c["mixed_bound"], "%.4g").c_str(), json_cell(c["within_mixed_bound"], "%.4g").c_str());
    }
}

void print_attention(std::FILE* out, const json& e) {
  std::fprintf(out, "\nattention per member on what each routing gave it (share of predictions; entropy bits; "
              "block / pointer fidelity):\n| member | hard share | hard H | hard block | hard pointer | soft share "
              "| soft H | soft block | soft pointer |\n|---|---|---|---|---|---|---|---|---|\n");
  const double total = e["all"]["segments"].get<double>();
  for (const auto& name : e["members"]) {
    const auto& hj = e["attention"][name.get<std::string>()]["hard"];
    const auto& sj = e["attention"][name.get<std::string>()]["soft"];
    std::fprintf(out, "| %s | %.3f | %s | %s | %s | %.3f | %s | %s | %s |\n", name.get<std::string>().c_str(),
                hj["predictions_share"].get<double>() / total, json_cell(hj["attention_entropy_bits"], "%.3f").c_str(),
                json_cell(hj["block_fidelity"], "%.3f").c_str(), json_cell(hj["pointer_fidelity"], "%.3f").c_str(),
                sj["predictions_share"].get<double>() / total, json_cell(sj["attention_entropy_bits"], "%.3f").c_str(),
                json_cell(sj["block_fidelity"], "%.3f").c_str(), json_cell(sj["pointer_fidelity"], "%.3f").c_str());
  }
}

}  // namespace

void print_hierarchy_eval(std::FILE* out, const json& e) {
  print_routing(out, e);
  if (e.contains("bounds")) print_member_bounds(out, e);
  if (e.contains("attention")) print_attention(out, e);
}

void print_distributed_eval(std::FILE* out, const json& e) {
  std::fprintf(out, "hierarchy %s over %d processes:", e["hierarchy"].get<std::string>().c_str(), e["ranks"].get<int>());
  for (const auto& name : e["members"])
    std::fprintf(out, " %s on rank %d;", name.get<std::string>().c_str(), e["placement"][name.get<std::string>()].get<int>());
  std::fprintf(out, " hard routing after %lld predictions\n| domain | own model | segments | ppl hard | routing acc. |\n"
               "|---|---|---|---|---|\n", static_cast<long long>(e["routing_prefix"].get<int64_t>()));
  for (const auto& d : e["domains"])
    std::fprintf(out, "| %s | %s | %lld | %.3f | %.1f%% |\n", d["domain"].get<std::string>().c_str(),
                 d["own_model"].get<std::string>().c_str(), static_cast<long long>(d["segments"].get<int64_t>()),
                 d["ppl_hard"].get<double>(), 100 * d["routing_accuracy"].get<double>());
  std::fprintf(out, "segments whose rest each rank scored:");
  const auto& by_rank = e["segments_scored_by_rank"];
  for (size_t r = 0; r < by_rank.size(); ++r)
    std::fprintf(out, " rank %zu: %lld;", r, static_cast<long long>(by_rank[r].get<int64_t>()));
  std::fprintf(out, "\n");
}

}  // namespace localist
