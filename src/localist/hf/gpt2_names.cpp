#include "localist/hf/gpt2_names.h"

#include <regex>

namespace localist::hf {

std::string hf_name(const std::string& ours) {
  if (ours == "lm_head.weight") return ours;
  if (ours.rfind("layers.", 0) == 0) return "transformer.h." + ours.substr(7);
  return "transformer." + ours;
}

bool hf_transposed(const std::string& ours) {
  const auto ends_with = [&](const std::string& s) {
    return ours.size() >= s.size() && ours.compare(ours.size() - s.size(), s.size(), s) == 0;
  };
  return ends_with("c_attn.weight") || ends_with("c_proj.weight") || ends_with("c_fc.weight");
}

std::string with_transformer_prefix(const std::string& hf) {
  if (hf.rfind("transformer.", 0) == 0 || hf == "lm_head.weight") return hf;
  return "transformer." + hf;
}

bool is_hf_buffer(const std::string& hf) {
  static const std::regex buffer(R"((transformer\.)?h\.\d+\.attn\.(masked_)?bias)");
  return std::regex_match(hf, buffer);
}

}  // namespace localist::hf
