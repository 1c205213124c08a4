#pragma once
// The report's Lemma 1 section (docs/theory.md): for each directory written by
// `localist concentration --out DIR`, the mean off-target attention mass against the uniform
// margin delta / tau beside the lemma's bound (log scale), and the fitted slope.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace localist {

// DIR/concentration.json; PathError if unreadable, DataError naming the file if it is not a
// concentration curve (an object with a `points` array).
nlohmann::json read_concentration_json(const std::string& dir);

// The HTML section (inline SVG); empty when `dirs` is.
std::string concentration_section(const std::vector<std::string>& dirs);

}  // namespace localist
