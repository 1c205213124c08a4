#include "localist/hierarchy/domain_clusters.h"

#include "localist/core/errors.h"
#include "localist/recruit/kmeans.h"

namespace localist {

std::vector<int64_t> DomainClusters::sizes() const {
  std::vector<int64_t> n(static_cast<size_t>(centres.size(0)), 0);
  for (auto c : cluster) ++n[static_cast<size_t>(c)];
  return n;
}

std::vector<std::string> line_chunks(const std::string& text, int64_t chunk_chars) {
  if (chunk_chars < 1) throw ConfigError("chunk size " + std::to_string(chunk_chars) + " must be >= 1 character");
  std::vector<std::string> out;
  std::string cur;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    end = end == std::string::npos ? text.size() : end + 1;
    cur.append(text, at, end - at);
    at = end;
    if (static_cast<int64_t>(cur.size()) >= chunk_chars) out.push_back(std::move(cur)), cur.clear();
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

torch::Tensor byte_profile(const std::string& text) {
  auto p = torch::zeros({256}, torch::kDouble);
  auto a = p.accessor<double, 1>();
  for (unsigned char c : text) a[c] += 1;
  return (p / std::max<double>(1.0, static_cast<double>(text.size()))).sqrt();
}

DomainClusters cluster_domains(const std::string& text, int64_t chunk_chars, int64_t k, uint64_t seed) {
  DomainClusters d;
  d.chunks = line_chunks(text, chunk_chars);
  const int64_t P = static_cast<int64_t>(d.chunks.size());
  if (k < 1 || P < k)
    throw ConfigError("domains: " + std::to_string(k) + " clusters asked of " + std::to_string(P) +
                      " chunks of ~" + std::to_string(chunk_chars) + " characters; use fewer clusters or smaller chunks");
  std::vector<torch::Tensor> rows;
  for (const auto& c : d.chunks) rows.push_back(byte_profile(c));
  const auto points = torch::stack(rows);  // (P, 256)
  const auto km = kmeans(points, k, 16, 100, seed);
  // number the clusters by first appearance, so the same corpus always names them alike
  std::vector<int64_t> rename(static_cast<size_t>(k), -1);
  int64_t next = 0;
  auto assign = km.assign.accessor<int64_t, 1>();
  for (int64_t i = 0; i < P; ++i) {
    auto& r = rename[static_cast<size_t>(assign[i])];
    if (r < 0) r = next++;
    d.cluster.push_back(r);
  }
  d.centres = torch::zeros_like(km.centres);
  for (int64_t j = 0; j < k; ++j)
    if (rename[j] >= 0) d.centres[rename[j]] = km.centres[j];
  return d;
}

}  // namespace localist
