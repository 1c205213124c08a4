#include "localist/recruit/communities.h"

#include <algorithm>
#include <unordered_map>

namespace localist {
namespace {

// node -> neighbour -> weight; no self loops (they add the same to Q wherever the node goes)
using Graph = std::vector<std::unordered_map<int64_t, double>>;

// A type is shared when it keeps each other group's company at least this fraction as much as
// its own group's; two groups keeping each other's company this much are one. Lift: the share
// of one's neighbours from a group over that group's share of all tokens. Measured on topic
// worlds 11, 12, 101-103, 201-203 (K* = 2, 3, 4, 6, 8, 300,000 tokens; docs/recruitment.md),
// types: 0.3 166/184 true blocks exact, 0.35 179/184, 0.4 181/184 with 3 shared types in blocks,
// 0.45 181/184 with 89, 0.5 175/184 with 200; a true block's words keep another block's
// company at 0.22-0.38 of their own, the halves of a block cut by modularity at 0.58-0.61;
// with the merge, 184/184 and at 60,000 tokens 183/184 (Communities.DISABLED_SeenWorldsTable).
constexpr double kSpread = 0.4;


// Co-occurrence counts of `types` within opt.window positions (node r = types[r]).
Graph cooccurrence(const data::TokenFile& train, const std::vector<int64_t>& types, const TypeClusterOptions& opt) {
  const int64_t n = std::min(train.size(), opt.max_tokens);
  std::vector<int64_t> node(train.vocab_size(), -1);
  for (size_t r = 0; r < types.size(); ++r) node[types[r]] = static_cast<int64_t>(r);
  Graph g(types.size());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t a = node[train[i]];
    if (a < 0) continue;
    for (int64_t j = i + 1; j <= std::min(n - 1, i + opt.window); ++j) {
      const int64_t b = node[train[j]];
      if (b >= 0 && b != a) g[a][b] += 1, g[b][a] += 1;
    }
  }
  return g;
}

// One Louvain level: each node in turn moves to the neighbouring community with the largest
// modularity gain w(i, c) - k_i tot_c / 2m (itself taken out first) while that beats staying.
// Returns the community of each node, numbered 0.. in order of first appearance.
std::vector<int64_t> local_moves(const Graph& g, const std::vector<double>& k, double two_m, bool& moved) {
  const int64_t N = static_cast<int64_t>(g.size());
  std::vector<int64_t> comm(N);
  std::vector<double> tot = k;
  for (int64_t i = 0; i < N; ++i) comm[i] = i;
  moved = false;
  for (int sweep = 0; sweep < 100; ++sweep) {
    bool any = false;
    for (int64_t i = 0; i < N; ++i) {
      std::unordered_map<int64_t, double> w;  // weight from i to each neighbouring community
      for (const auto& [nb, weight] : g[i]) w[comm[nb]] += weight;
      const int64_t own = comm[i];
      tot[own] -= k[i];
      const double stay = (w.count(own) ? w[own] : 0.0) - k[i] * tot[own] / two_m;
      int64_t best = own;
      double best_gain = stay;
      for (const auto& [c, wc] : w) {
        const double gain = wc - k[i] * tot[c] / two_m;
        if (c != own && (gain > best_gain + 1e-12 || (best != own && gain > best_gain - 1e-12 && c < best)))
          best = c, best_gain = gain;
      }
      tot[best] += k[i];
      any |= best != own;
      comm[i] = best;
    }
    if (!any) break;
    moved = true;
  }
  std::unordered_map<int64_t, int64_t> label;
  for (auto& c : comm) c = label.emplace(c, static_cast<int64_t>(label.size())).first->second;
  return comm;
}

// The graph of communities: node c's neighbours are the communities its members' edges reach.
Graph merge(const Graph& g, const std::vector<int64_t>& comm, int64_t count) {
  Graph out(count);
  for (size_t i = 0; i < g.size(); ++i)
    for (const auto& [nb, weight] : g[i])
      if (comm[i] != comm[nb]) out[comm[i]][comm[nb]] += weight;
  return out;
}

// The types of `groups` that keep every other group's company (shared_communities' rule).
std::vector<int64_t> keep_every_company(const data::TokenFile& train, const std::vector<std::vector<int64_t>>& groups,
                                        const TypeClusterOptions& opt) {
  const auto company = group_company(train, groups, opt);
  const int64_t G = static_cast<int64_t>(groups.size());
  std::vector<int64_t> shared;
  for (int64_t c = 0; c < G; ++c)
    for (auto t : groups[c]) {
      const auto it = company.of.find(t);
      if (it == company.of.end() || it->second[G] == 0) continue;
      bool every = G > 1;  // t keeps each other group's company at >= kSpread of its own group's
      for (int64_t o = 0; o < G && every; ++o)
        every = o == c || company.lift(it->second, o) >= kSpread * company.lift(it->second, c);
      if (every) shared.push_back(t);
    }
  return shared;
}

// Groups that keep each other's company at >= kSpread of their own are one block (modularity
// can cut a block along its inner structure, e.g. its key words and their answers): the pair
// keeping the most is merged, until none is left. The data is read once: a merge adds the
// pair's columns and sizes.
void merge_companions(const data::TokenFile& train, std::vector<std::vector<int64_t>>& groups,
                      const TypeClusterOptions& opt) {
  auto company = group_company(train, groups, opt);
  while (groups.size() > 1) {
    const int64_t G = static_cast<int64_t>(groups.size());
    std::vector<std::vector<double>> rows(G, std::vector<double>(G + 1, 0));  // per group, summed
    for (int64_t c = 0; c < G; ++c)
      for (auto t : groups[c])
        if (const auto it = company.of.find(t); it != company.of.end())
          for (int64_t o = 0; o <= G; ++o) rows[c][o] += it->second[o];
    int64_t best_a = -1, best_b = -1;
    double best = kSpread;
    for (int64_t a = 0; a < G; ++a)
      for (int64_t b = a + 1; b < G; ++b) {
        const double ab = company.lift(rows[a], b) / std::max(company.lift(rows[a], a), 1e-12);
        const double ba = company.lift(rows[b], a) / std::max(company.lift(rows[b], b), 1e-12);
        if (std::min(ab, ba) >= best) best = std::min(ab, ba), best_a = a, best_b = b;
      }
    if (best_a < 0) return;
    groups[best_a].insert(groups[best_a].end(), groups[best_b].begin(), groups[best_b].end());
    std::sort(groups[best_a].begin(), groups[best_a].end());
    groups.erase(groups.begin() + best_b);
    for (auto& [type, row] : company.of) {
      row[best_a] += row[best_b];
      row.erase(row.begin() + best_b);
    }
    company.size[best_a] += company.size[best_b];
    company.size.erase(company.size.begin() + best_b);
  }
}

}  // namespace

std::vector<std::vector<int64_t>> communities(const data::TokenFile& train, const std::vector<int64_t>& types,
                                              const TypeClusterOptions& opt) {
  Graph g = cooccurrence(train, types, opt);
  std::vector<double> k(g.size(), 0);
  double two_m = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    for (const auto& [nb, weight] : g[i]) k[i] += weight;
    two_m += k[i];
  }
  std::vector<int64_t> of(types.size());  // each type's node at the current level
  for (size_t r = 0; r < of.size(); ++r) of[r] = static_cast<int64_t>(r);
  while (two_m > 0) {
    bool moved = false;
    const auto comm = local_moves(g, k, two_m, moved);
    if (!moved) break;
    const int64_t count = *std::max_element(comm.begin(), comm.end()) + 1;
    for (auto& node : of) node = comm[node];
    std::vector<double> merged_k(count, 0);
    for (size_t i = 0; i < k.size(); ++i) merged_k[comm[i]] += k[i];
    g = merge(g, comm, count), k = std::move(merged_k);
  }
  std::vector<std::vector<int64_t>> out(g.size());
  for (size_t r = 0; r < of.size(); ++r) out[of[r]].push_back(types[r]);
  for (auto& c : out) std::sort(c.begin(), c.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.size() > y.size(); });
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

SharedCommunities shared_communities(const data::TokenFile& train, const std::vector<int64_t>& types,
                                     const TypeClusterOptions& opt, int64_t max_rounds) {
  SharedCommunities out;
  std::vector<int64_t> pool = types;
  for (int64_t round = 0; round < max_rounds && !pool.empty(); ++round) {
    auto groups = communities(train, pool, opt);
    const auto shared = keep_every_company(train, groups, opt);
    const bool last = shared.empty() || round + 1 == max_rounds;
    out.shared.insert(out.shared.end(), shared.begin(), shared.end());
    const std::vector<int64_t> sorted_shared = [&] { auto s = shared; std::sort(s.begin(), s.end()); return s; }();
    std::vector<int64_t> kept;
    for (auto t : pool)
      if (!std::binary_search(sorted_shared.begin(), sorted_shared.end(), t)) kept.push_back(t);
    pool = kept;
    if (!last) continue;
    for (auto& g : groups) {
      std::vector<int64_t> left;
      for (auto t : g)
        if (!std::binary_search(sorted_shared.begin(), sorted_shared.end(), t)) left.push_back(t);
      auto& into = left.size() >= 2 ? out.blocks.emplace_back() : out.shared;
      into.insert(into.end(), left.begin(), left.end());
    }
    break;
  }
  merge_companions(train, out.blocks, opt);
  std::sort(out.shared.begin(), out.shared.end());
  std::stable_sort(out.blocks.begin(), out.blocks.end(), [](const auto& x, const auto& y) { return x.size() > y.size(); });
  return out;
}

}  // namespace localist
