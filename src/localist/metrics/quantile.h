#pragma once
// Quantiles of measured values (margins, gradient norms) for the estimators in metrics/.
#include <vector>

namespace localist {

// Quantile q in [0, 1] of v by linear interpolation between order statistics (numpy's default);
// NaN if v is empty. Infinite values are kept (a hard mask's margins are +inf).
double quantile(std::vector<float> v, double q);

}  // namespace localist
