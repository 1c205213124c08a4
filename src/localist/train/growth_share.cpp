#include "localist/train/growth_share.h"

#include "localist/run/checkpoint.h"

namespace localist {

std::optional<Grown> share_growth(Distributed& dist, int64_t step, std::optional<Grown> grown,
                                  const torch::Device& device) {
  const std::string key = "recruit/" + std::to_string(step);
  const bool root = dist.is_root();
  const std::string head = dist.share(
      key, !root ? "" : grown ? nlohmann::json{{"model", grown->model->cfg}, {"rules", grown->rules}}.dump() : "none");
  if (head == "none") return std::nullopt;
  TensorMap weights;
  if (root)
    for (const auto& p : grown->model->named_parameters()) weights[p.key()] = p.value();
  const std::string weight_bytes = dist.share(key + "/weights", root ? safetensors_bytes(weights) : "");
  const std::string optimizer_bytes = dist.share(key + "/optimizer", root ? safetensors_bytes(grown->optimizer) : "");
  if (root) return grown;
  const auto j = nlohmann::json::parse(head);
  Grown g;
  g.model = Gpt(j.at("model").get<ModelConfig>());
  copy_weights(parse_safetensors(weight_bytes, "rank 0's grown weights"), g.model, "rank 0's grown weights");
  g.model->to(device);
  g.optimizer = parse_safetensors(optimizer_bytes, "rank 0's optimizer state");
  for (auto& [name, t] : g.optimizer) t = t.to(device);
  g.rules = j.at("rules");
  return g;
}

}  // namespace localist
