#include "localist/report/sweep_table.h"

#include <cstdio>

#include "localist/core/progress.h"

namespace localist {

namespace {
// The numeric fields by their JSON names (those of `localist eval --json` where it has them).
const std::pair<const char*, double SweepRow::*> kFields[] = {
    {"lambda", &SweepRow::lambda},
    {"attention_entropy_bits", &SweepRow::entropy_bits},
    {"max_entropy_bits", &SweepRow::max_entropy_bits},
    {"pointer_fidelity", &SweepRow::pointer_fidelity},
    {"block_fidelity", &SweepRow::block_fidelity},
    {"perplexity", &SweepRow::perplexity},
    {"accuracy", &SweepRow::accuracy},
    {"weight_group_sparsity", &SweepRow::weight_group_sparsity},
    {"seconds", &SweepRow::seconds}};
}  // namespace

void to_json(nlohmann::json& j, const SweepRow& r) {
  j = {{"tokens", r.tokens}, {"run", r.run}};
  for (const auto& [name, field] : kFields) j[name] = r.*field;
}

void from_json(const nlohmann::json& j, SweepRow& r) {
  for (const auto& [name, field] : kFields) r.*field = j.at(name).get<double>();
  r.tokens = j.at("tokens").get<int64_t>();
  r.run = j.at("run").get<std::string>();
}

namespace {
std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}
}  // namespace

std::string format_lambda(double lambda) {
  std::string s = fmt("%.6g", lambda);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string sweep_markdown(const std::string& header, const std::vector<SweepRow>& rows) {
  std::string s = header + "\n\n"
      "| λ | entropy (bits) | max-entropy (bits) | pointer fidelity | block fidelity | perplexity "
      "| accuracy | tokens | R_W sparsity |\n"
      "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows)
    s += "| " + format_lambda(r.lambda) + " | " + fmt("%.3f", r.entropy_bits) + " | " +
         fmt("%.3f", r.max_entropy_bits) + " | " + fmt("%.4f", r.pointer_fidelity) + " | " +
         fmt("%.4f", r.block_fidelity) + " | " + fmt("%.2f", r.perplexity) + " | " +
         fmt("%.2f %%", 100 * r.accuracy) + " | " + format_count(r.tokens) + " | " +
         fmt("%.3f", r.weight_group_sparsity) + " |\n";
  return s;
}

std::string sweep_csv(const std::vector<SweepRow>& rows) {
  std::string s = "lambda,attention_entropy_bits,max_entropy_bits,pointer_fidelity,block_fidelity,"
                  "perplexity,accuracy,tokens,weight_group_sparsity,run\n";
  for (const auto& r : rows) {
    s += format_lambda(r.lambda);
    for (double v : {r.entropy_bits, r.max_entropy_bits, r.pointer_fidelity, r.block_fidelity,
                     r.perplexity, r.accuracy})
      s += "," + fmt("%.6g", v);
    s += "," + std::to_string(r.tokens) + "," + fmt("%.6g", r.weight_group_sparsity) + ",";
    // quoted as CSV wants when a path holds a comma or a quote
    if (r.run.find_first_of(",\"\n") == std::string::npos) {
      s += r.run;
    } else {
      s += '"';
      for (char c : r.run) s += c == '"' ? std::string("\"\"") : std::string(1, c);
      s += '"';
    }
    s += "\n";
  }
  return s;
}

nlohmann::json sweep_json(const nlohmann::json& settings, const std::vector<SweepRow>& rows) {
  return {{"settings", settings}, {"rows", rows}};
}

}  // namespace localist
