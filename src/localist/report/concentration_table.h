#pragma once
// The Markdown table `localist concentration` prints and writes (concentration.md): per (kappa,
// tau) setting the margins, the off-target mass against Lemma 1's bound, the entropy, and the
// fitted slopes of ln(mass) against delta / tau.
#include <string>

#include "localist/metrics/concentration_curve.h"

namespace localist {

// header: the lines above the table (what was measured, on what).
std::string concentration_table(const ConcentrationCurve& c, const std::string& header);

}  // namespace localist
