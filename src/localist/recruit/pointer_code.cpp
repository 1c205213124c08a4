#include "localist/recruit/pointer_code.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "localist/core/errors.h"
#include "localist/data/portable_random.h"
#include "localist/recruit/paired_bootstrap.h"

namespace localist {

ReadMass ReadMass::cat(const std::vector<ReadMass>& parts) {
  std::vector<torch::Tensor> w, m, r, n;
  for (const auto& p : parts) w.push_back(p.w), m.push_back(p.m), r.push_back(p.r), n.push_back(p.n);
  return {torch::cat(w), torch::cat(m), torch::cat(r), torch::cat(n)};
}

ReadMass read_mass(const std::vector<torch::Tensor>& attn, const BlockLayout& layout, const torch::Tensor& pool,
                   bool causal) {
  const int64_t B = layout.block.size(0), T = layout.block.size(1);
  const auto in_pool = pool.to(torch::kCPU).to(torch::kBool);                        // (B, T)
  auto visible = causal ? torch::ones({T, T}, torch::kBool).tril().expand({B, T, T})
                        : torch::ones({B, T, T}, torch::kBool);
  auto pool_keys = visible & in_pool.unsqueeze(1);                                    // (B, T, T)
  auto readable = target_keys(layout, causal).to(torch::kCPU) & pool_keys;           // (B, T, T)
  auto pf = pool_keys.to(torch::kFloat), rf = readable.to(torch::kFloat);
  std::vector<torch::Tensor> w, on;
  for (const auto& p : attn) {
    const auto a = p.to(torch::kCPU);                                                 // (B, H, T, T)
    w.push_back((a * pf.unsqueeze(1)).sum(-1)), on.push_back((a * rf.unsqueeze(1)).sum(-1));  // (B, H, T)
  }
  const auto flat = [&](const std::vector<torch::Tensor>& v) {                        // -> (Q, L*H)
    return torch::stack(v, 1).flatten(1, 2).permute({0, 2, 1}).reshape({B * T, -1});
  };
  auto wq = flat(w), mq = (flat(on) / wq.clamp_min(1e-12)).clamp(0, 1);
  auto n = pf.sum(-1), r = rf.sum(-1);                                                // (B, T)
  r = torch::where(in_pool & (r > 0), r, n);  // outside the pool, or no readable key: nothing named
  return {wq, mq, r.reshape({B * T}), n.reshape({B * T})};
}

std::vector<float> pointer_code(const ReadMass& mass, double* eta_out) {
  const auto active = (mass.r < mass.n).unsqueeze(1).expand_as(mass.m).to(torch::kFloat) * mass.w;  // weights
  const double total = active.sum().item<double>();
  double eta = total > 0 ? (active * (1 - mass.m)).sum().item<double>() / total : 0;
  eta = std::clamp(eta, 1e-6, 1 - 1e-6);
  if (eta_out) *eta_out = eta;
  auto r = mass.r.unsqueeze(1).clamp_min(1), n = mass.n.unsqueeze(1).clamp_min(2);  // finite where inactive
  auto on = torch::log((1 - eta) * n / r);
  auto off = torch::log(eta * n / (n - r).clamp_min(1));
  auto s = torch::where(active > 0, active * (mass.m * on + (1 - mass.m) * off), torch::zeros_like(active));
  s = s.mean(1).contiguous();
  return std::vector<float>(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
}

PointerSaving pointer_saving(Gpt& model, const BlockMap& current, const Dial& dial,
                             const std::vector<BlockMap>& rule_sets, const std::vector<bool>& pool_type,
                             const data::TokenFile& valid, int64_t batch_size, int64_t max_tokens, uint64_t seed) {
  if (rule_sets.size() < 2) throw InternalError("pointer_saving: a candidate and at least one permutation");
  const int64_t T = model->cfg.context_length;
  const int64_t windows = std::min(std::max<int64_t>(1, max_tokens / T), (valid.size() - 1) / T);
  if (windows < 1) throw DataError("recruitment: the validation split has fewer than " + std::to_string(T + 1) +
                                   " tokens; the pointer's code needs one window");
  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  const auto device = model->parameters().front().device();
  std::vector<std::vector<ReadMass>> parts(rule_sets.size());
  for (int64_t w0 = 0; w0 < windows; w0 += batch_size) {
    const int64_t nb = std::min(batch_size, windows - w0);
    std::vector<int64_t> ids(static_cast<size_t>(nb * T));
    std::vector<uint8_t> in_pool(ids.size());
    for (int64_t b = 0; b < nb; ++b)
      for (int64_t t = 0; t < T; ++t) {
        const int32_t id = valid[(w0 + b) * T + t];
        ids[b * T + t] = id;
        in_pool[b * T + t] = static_cast<size_t>(id) < pool_type.size() && pool_type[static_cast<size_t>(id)];
      }
    auto x = torch::tensor(ids, torch::kInt64).view({nb, T});
    auto pool = torch::tensor(std::vector<int64_t>(in_pool.begin(), in_pool.end()), torch::kInt64).view({nb, T}).to(torch::kBool);
    const auto out = model->forward(x.to(device), true,
                                    dial_biases(current.layout(x, device), dial, model->cfg.n_layer, model->cfg.causal));
    for (size_t k = 0; k < rule_sets.size(); ++k)
      parts[k].push_back(read_mass(out.attn, rule_sets[k].layout(x), pool, model->cfg.causal));
  }
  model->train(was_training);
  PointerSaving ps;
  const auto cand = pointer_code(ReadMass::cat(parts[0]), &ps.eta);
  std::vector<float> null(cand.size(), 0.0f);
  std::vector<double> null_means;
  const float share = 1.0f / static_cast<float>(rule_sets.size() - 1);
  for (size_t k = 1; k < rule_sets.size(); ++k) {
    const auto s = pointer_code(ReadMass::cat(parts[k]));
    double sum = 0;
    for (size_t q = 0; q < s.size(); ++q) null[q] += share * s[q], sum += s[q];
    null_means.push_back(sum / static_cast<double>(s.size()));
  }
  double cand_sum = 0;
  for (float v : cand) cand_sum += v;
  ps.candidate = cand_sum / static_cast<double>(cand.size());
  for (double v : null_means) ps.null_mean += v / static_cast<double>(null_means.size());
  for (double v : null_means) ps.null_sd += (v - ps.null_mean) * (v - ps.null_mean);
  ps.null_sd = null_means.size() > 1 ? std::sqrt(ps.null_sd / static_cast<double>(null_means.size() - 1)) : 0;
  const auto b = paired_bootstrap(cand, null, T, 1000, 0.95, seed);  // candidate - null, per window
  ps.saving = b.mean, ps.lo = b.lo, ps.hi = b.hi;
  ps.per_query.resize(cand.size());
  for (size_t q = 0; q < cand.size(); ++q) ps.per_query[q] = cand[q] - null[q];
  ps.permutations = static_cast<int64_t>(rule_sets.size() - 1);
  ps.queries = static_cast<int64_t>(cand.size()), ps.windows = b.windows;
  return ps;
}

nlohmann::json permuted_rules(const nlohmann::json& rules, const std::vector<std::string>& blocks,
                              const std::vector<std::string>& extra,
                              const std::unordered_map<std::string, int64_t>& count, int64_t stratum,
                              uint64_t seed) {
  nlohmann::json doc = rules;
  auto& list = doc.at("blocks");
  std::vector<std::pair<std::string, size_t>> pool;  // token text, label (its block's index; blocks.size() = extra)
  std::map<std::string, size_t> index;               // block name -> position in list
  for (size_t i = 0; i < list.size(); ++i) index[list[i].at("name").get<std::string>()] = i;
  for (size_t l = 0; l < blocks.size(); ++l)
    for (const auto& t : list.at(index.at(blocks[l])).at("tokens")) pool.emplace_back(t.get<std::string>(), l);
  for (const auto& t : extra) pool.emplace_back(t, blocks.size());
  const auto n_of = [&](const std::string& t) { auto it = count.find(t); return it == count.end() ? int64_t{0} : it->second; };
  std::stable_sort(pool.begin(), pool.end(), [&](const auto& a, const auto& b) {
    return n_of(a.first) != n_of(b.first) ? n_of(a.first) > n_of(b.first) : a.first < b.first;
  });
  std::mt19937_64 rng(data::splitmix64(seed));
  for (size_t s = 0; s < pool.size(); s += static_cast<size_t>(stratum)) {  // Fisher-Yates of the labels
    const size_t end = std::min(pool.size(), s + static_cast<size_t>(stratum));
    for (size_t i = end - 1; i > s; --i) std::swap(pool[i].second, pool[s + data::uniform_below(rng, i - s + 1)].second);
  }
  for (const auto& name : blocks) {
    list[index.at(name)]["tokens"] = nlohmann::json::array();
    list[index.at(name)].erase("anchors");
  }
  for (const auto& [text, label] : pool)
    if (label < blocks.size()) list[index.at(blocks[label])]["tokens"].push_back(text);
  return doc;
}

}  // namespace localist
