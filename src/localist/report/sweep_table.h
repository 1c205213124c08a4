#pragma once
// The rows of a locality sweep (one per lambda) and their written forms: a Markdown table under
// a header line, CSV, and JSON. Pure formatting: no model, no files.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace localist {

struct SweepRow {
  double lambda = 0;
  double entropy_bits = 0;      // mean attention entropy over layers, heads, queries
  double max_entropy_bits = 0;  // the maximum-entropy reference for the same queries
  double pointer_fidelity = 0;
  double block_fidelity = 0;
  double perplexity = 0;
  double accuracy = 0;
  int64_t tokens = 0;                 // predictions scored
  double weight_group_sparsity = 0;   // fraction of W_Q/W_K unit groups exactly zero
  double seconds = 0;                 // time this row took (training + evaluation)
  std::string run;                    // the checkpoint evaluated
};

void to_json(nlohmann::json& j, const SweepRow& r);
void from_json(const nlohmann::json& j, SweepRow& r);

// "1.0", "0.8", "0.25": the shortest decimal, with at least one digit after the point.
std::string format_lambda(double lambda);

// `header` goes above the table as one line; rows in the given order.
std::string sweep_markdown(const std::string& header, const std::vector<SweepRow>& rows);
std::string sweep_csv(const std::vector<SweepRow>& rows);
nlohmann::json sweep_json(const nlohmann::json& settings, const std::vector<SweepRow>& rows);

}  // namespace localist
