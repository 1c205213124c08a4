#pragma once
// The domains of a mixed corpus, found without labels (the clusters LLM-level recruitment
// proposes specialists for, docs/design.md §1.6). The text is cut into chunks of whole lines (at
// least `chunk_chars` characters each); a chunk is represented by its byte distribution in
// Hellinger geometry (square roots of the frequencies: what a domain's alphabet, punctuation
// and markup look like, independent of any tokenizer), and the chunks are grouped by k-means.
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace localist {

struct DomainClusters {
  std::vector<std::string> chunks;  // in corpus order
  std::vector<int64_t> cluster;     // per chunk, 0..k-1, numbered by first appearance
  torch::Tensor centres;            // (k, 256) Hellinger byte profiles
  std::vector<int64_t> sizes() const;
};

std::vector<std::string> line_chunks(const std::string& text, int64_t chunk_chars);
torch::Tensor byte_profile(const std::string& text);  // (256,) float64, Hellinger

// k >= 1; ConfigError when the text has fewer than k chunks.
DomainClusters cluster_domains(const std::string& text, int64_t chunk_chars, int64_t k, uint64_t seed = 7);

}  // namespace localist
