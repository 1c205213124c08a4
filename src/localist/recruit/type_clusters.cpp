#include "localist/recruit/type_clusters.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include <torch/torch.h>

#include "localist/recruit/kmeans.h"

namespace localist {

TypeSplit split_types(const data::TokenFile& train, const std::vector<int64_t>& types,
                      const TypeClusterOptions& opt, const std::vector<int64_t>& members) {
  TypeSplit out;
  const int64_t n = std::min(train.size(), opt.max_tokens), V = train.vocab_size();
  const int64_t P = static_cast<int64_t>(types.size());
  if (P < 2) {
    out.a = types;
    return out;
  }
  std::vector<int64_t> rows_of = types;  // the types, then the members
  for (auto m : members)
    if (std::find(types.begin(), types.end(), m) == types.end()) rows_of.push_back(m);
  const int64_t R = static_cast<int64_t>(rows_of.size());
  // feature columns: the most frequent types
  std::vector<int64_t> freq(V, 0);
  for (int64_t i = 0; i < n; ++i) ++freq[train[i]];
  std::vector<int64_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return freq[x] > freq[y]; });
  std::vector<int64_t> column(V, -1);
  const int64_t F = std::min(opt.features, V);
  for (int64_t f = 0; f < F; ++f) column[order[f]] = f;
  std::unordered_map<int64_t, int64_t> row;
  for (int64_t r = 0; r < R; ++r) row[rows_of[r]] = r;

  auto counts = torch::zeros({R, F}, torch::kDouble);
  auto ca = counts.accessor<double, 2>();
  for (int64_t i = 0; i < n; ++i) {
    auto it = row.find(train[i]);
    if (it == row.end()) continue;
    for (int64_t j = std::max<int64_t>(0, i - opt.window); j <= std::min(n - 1, i + opt.window); ++j)
      if (j != i && column[train[j]] >= 0) ca[it->second][column[train[j]]] += 1;
  }
  auto all = (counts / counts.sum(1, true).clamp_min(1)).sqrt();  // (R, F) Hellinger
  auto hellinger = all.narrow(0, 0, P);                           // (P, F): the types
  // keep the leading directions of variation: a block shifts many types together (low rank),
  // while what one type alone predicts (an anchor's own echo words) is spread thin
  const auto mean = hellinger.mean(0, true);
  auto svd = torch::linalg_svd(hellinger - mean, /*full_matrices=*/false);
  const int64_t r = std::min<int64_t>(opt.components, std::get<1>(svd).size(0));
  auto basis = std::get<2>(svd).narrow(0, 0, r).t();               // (F, r)
  auto projected = torch::matmul(all - mean, basis);              // (R, r); members alike
  auto profile = projected.narrow(0, 0, P);                       // (P, r)

  const auto km = kmeans(profile, 2, opt.restarts, opt.iterations, opt.seed);
  const auto& assign = km.assign;
  const auto& centres = km.centres;
  const double best = km.within;
  auto aa = assign.accessor<int64_t, 1>();
  for (int64_t r = 0; r < P; ++r) (aa[r] == 0 ? out.a : out.b).push_back(types[r]);
  if (R > P) {
    auto near = torch::cdist(projected.narrow(0, P, R - P).unsqueeze(0), centres.unsqueeze(0)).squeeze(0).argmin(1);
    auto na = near.accessor<int64_t, 1>();
    for (int64_t r = P; r < R; ++r) (na[r - P] == 0 ? out.a : out.b).push_back(rows_of[r]);
  }
  std::sort(out.a.begin(), out.a.end());
  std::sort(out.b.begin(), out.b.end());
  out.within = best;
  out.total = (profile - profile.mean(0)).pow(2).sum().item<double>();
  return out;
}

GroupCompany group_company(const data::TokenFile& train, const std::vector<std::vector<int64_t>>& groups,
                           const TypeClusterOptions& opt) {
  const int64_t n = std::min(train.size(), opt.max_tokens), G = static_cast<int64_t>(groups.size());
  std::vector<int64_t> group(train.vocab_size(), -1);
  for (int64_t c = 0; c < G; ++c)
    for (auto t : groups[c]) group[t] = c;
  GroupCompany out;
  out.size.assign(G, 0);
  out.n = static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t own = group[train[i]];
    if (own < 0) continue;
    ++out.size[own];
    auto& row = out.of.try_emplace(train[i], G + 1, 0.0).first->second;
    for (int64_t j = std::max<int64_t>(0, i - opt.window); j <= std::min(n - 1, i + opt.window); ++j)
      if (j != i) {
        if (group[train[j]] >= 0) row[group[train[j]]] += 1;
        row[G] += 1;
      }
  }
  return out;
}

namespace {

// Splits `side` into the types whose neighbours include `other`'s tokens at less than half the
// rate those make up of all tokens (kept) and the rest (shared).
void sift(const data::TokenFile& train, const std::vector<int64_t>& side, const std::vector<int64_t>& other,
          const TypeClusterOptions& opt, std::vector<int64_t>& kept, std::vector<int64_t>& shared) {
  const auto company = group_company(train, {side, other}, opt);
  const double base = company.n > 0 ? company.size[1] / company.n : 0;
  for (auto t : side) {
    const auto it = company.of.find(t);
    const bool keeps_other = it != company.of.end() && it->second[2] > 0 && it->second[1] / it->second[2] >= 0.5 * base;
    (keeps_other ? shared : kept).push_back(t);
  }
}

}  // namespace

SharedSift sift_shared(const data::TokenFile& train, const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                       const TypeClusterOptions& opt) {
  // The shared tokens sit on one side of the split, and everyone keeps their company: sift that
  // side first, against the clean one. Which side it is is not known: both orders are tried and
  // the one that needs fewer shared types to explain the split wins.
  SharedSift b_first, a_first;
  sift(train, b, a, opt, b_first.b, b_first.shared);
  sift(train, a, b_first.b, opt, b_first.a, b_first.shared);
  sift(train, a, b, opt, a_first.a, a_first.shared);
  sift(train, b, a_first.a, opt, a_first.b, a_first.shared);
  SharedSift out = a_first.shared.size() < b_first.shared.size() ? a_first : b_first;
  for (auto* v : {&out.a, &out.b, &out.shared}) std::sort(v->begin(), v->end());
  return out;
}

void settle_sides(const data::TokenFile& train, std::vector<int64_t>& a, std::vector<int64_t>& b,
                  const TypeClusterOptions& opt, int64_t max_sweeps) {
  const int64_t n = std::min(train.size(), opt.max_tokens);
  std::vector<int64_t> types = a;
  types.insert(types.end(), b.begin(), b.end());
  std::unordered_map<int64_t, int64_t> index;  // type -> its row
  for (size_t r = 0; r < types.size(); ++r) index[types[r]] = static_cast<int64_t>(r);
  // company[r]: (neighbour's row, count) for the neighbours inside a ∪ b
  std::vector<std::unordered_map<int64_t, int64_t>> company(types.size());
  for (int64_t i = 0; i < n; ++i) {
    const auto it = index.find(train[i]);
    if (it == index.end()) continue;
    for (int64_t j = std::max<int64_t>(0, i - opt.window); j <= std::min(n - 1, i + opt.window); ++j) {
      const auto nb = index.find(train[j]);
      if (j != i && nb != index.end()) ++company[it->second][nb->second];
    }
  }
  std::vector<char> in_a(types.size(), 0);
  for (size_t r = 0; r < a.size(); ++r) in_a[r] = 1;
  for (int64_t sweep = 0; sweep < max_sweeps; ++sweep) {
    bool moved = false;
    for (size_t r = 0; r < types.size(); ++r) {
      int64_t with_a = 0, with_b = 0;
      for (const auto& [row, count] : company[r]) (in_a[row] ? with_a : with_b) += count;
      const char side = with_a == with_b ? in_a[r] : static_cast<char>(with_a > with_b);
      moved |= side != in_a[r];
      in_a[r] = side;
    }
    if (!moved) break;
  }
  a.clear(), b.clear();
  for (size_t r = 0; r < types.size(); ++r) (in_a[r] ? a : b).push_back(types[r]);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
}

}  // namespace localist
