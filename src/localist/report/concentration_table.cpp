#include "localist/report/concentration_table.h"

#include <cstdio>

namespace localist {

std::string concentration_table(const ConcentrationCurve& c, const std::string& header) {
  std::string s = header + "\n\n| κ | τ | triples | δ/τ uniform (p" + std::to_string(static_cast<int>(c.percentile)) +
                  ") | δ/τ min | δ/τ median | model's own δ/τ uniform / median | mean off-target mass | "
                  "bound at uniform δ/τ (mean) | queries within it | max off-target mass | entropy (bits) |\n"
                  "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  char row[512];
  for (const auto& p : c.points) {
    std::snprintf(row, sizeof row, "| %g | %g | %lld | %.3f | %.3f | %.3f | %.3f / %.3f | %.4g | %.4g | %.4f | %.4g | %.3f |\n",
                  p.setting.kappa, p.setting.tau, static_cast<long long>(p.queries), p.margin_uniform,
                  p.margin_min, p.margin_median, p.model_margin_uniform, p.model_margin_median,
                  p.off_mass_mean, p.bound_mean, p.bound_holds, p.off_mass_max, p.entropy_bits_mean);
    s += row;
  }
  std::snprintf(row, sizeof row,
                "\nln(mean off-target mass) against δ/τ: slope %.3f where the uniform margin is > 0 (%lld points: "
                "the lemma's exponential regime, where the bound's slope tends to -1); over every point %.3f at the "
                "uniform margin, %.3f at the median margin.\n",
                c.slope_tail.slope, static_cast<long long>(c.slope_tail.points), c.slope_uniform.slope,
                c.slope_median.slope);
  return s + row;
}

}  // namespace localist
