#pragma once
// The attention's own code length, the pointer (docs/design.md §1.5, "Recruitment criterion"):
// how many nats a candidate's rules save in saying *where the model already reads*.
//
// An audit names, for every prediction, the key each head read. The candidate's rules only
// speak about its pool: the types it moves among its blocks (and, for a one-block split, the
// parent's types that stay). For query t of a pool type, among the n_t pool keys it sees, the
// rules make r_t readable (its own block's); a head puts mass w_t on pool keys, a fraction m_t of
// it on the readable ones. Naming which pool key it read costs ln n_t against the uniform code;
// against the rules' code q(j) = (1 - eta) / r_t on the readable keys, eta / (n_t - r_t) off them,
// it saves
//     s_t = w_t [ m_t ln((1 - eta) n_t / r_t) + (1 - m_t) ln(eta n_t / (n_t - r_t)) ]  nats,
// (0 when r_t = n_t, or for a query outside the pool); eta, one number per rule set, is the
// w-weighted mean off-target fraction (its maximum-likelihood value). S(R) = the mean of s_t over
// layers, heads and queries: nats per token per attention read. Keys outside the pool (the
// shared tokens every block reads) are named the same way with or without the rules, so they
// drop out.
//
// A rule that makes r_t small saves something by chance wherever the heads' pool mass is
// uneven; what the *partition* explains is the saving beyond the same candidate with its types
// permuted among its blocks (sizes kept, within strata of similar training frequency):
// Delta L_pointer = S(candidate) - mean S(permuted). A head that reads the pool regardless of the
// blocks reads each readable set at chance, m_t = r_t / n_t, and s_t = -w_t KL(r_t/n_t || 1 - eta) <= 0.
//
// Measured on the model as it is (the control: no fine-tune, nothing enforced), on held-out
// windows, under the run's dial with its current blocks, with the partition alone (every block
// reads itself; recruiter.cpp partition_only).
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "localist/blocks/block_map.h"
#include "localist/data/token_file.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"

namespace localist {

struct PointerSaving {
  double candidate = 0;              // S(candidate), nats per read
  double null_mean = 0, null_sd = 0; // S over the permuted rule sets
  double saving = 0;                 // Delta L_pointer = candidate - null_mean
  double lo = 0, hi = 0;             // its 95 % interval, bootstrapped over the held-out windows
  double eta = 0;                    // the candidate's mean off-target mass
  int64_t permutations = 0, queries = 0, windows = 0;
  std::vector<float> per_query;      // s_t(candidate) - mean s_t(permuted), query q = window * T + t
};

// Where the heads read under one rule set: w (Q, L*H) each query's attention mass on pool keys,
// m (Q, L*H) the fraction of it on its readable set; r (Q) the readable pool keys; n (Q) the pool
// keys it sees (r = n for a query outside the pool). attn: per layer (B, H, T, T); Q = B*T;
// pool: (B, T) bool, the positions whose token is in the candidate's pool.
struct ReadMass {
  torch::Tensor w, m, r, n;
  static ReadMass cat(const std::vector<ReadMass>& parts);
};
ReadMass read_mass(const std::vector<torch::Tensor>& attn, const BlockLayout& layout, const torch::Tensor& pool,
                   bool causal);

// s_t per query (mean over layers and heads), eta fitted to `mass` (returned in *eta).
std::vector<float> pointer_code(const ReadMass& mass, double* eta = nullptr);

// rule_sets[0] is the candidate, the rest its permutations (>= 1); pool_type: per token id, whether
// it is in the candidate's pool. Windows of T positions from the start of `valid`, at most
// max_tokens queries; the model runs under `dial` with `current`.
PointerSaving pointer_saving(Gpt& model, const BlockMap& current, const Dial& dial,
                             const std::vector<BlockMap>& rule_sets, const std::vector<bool>& pool_type,
                             const data::TokenFile& valid, int64_t batch_size, int64_t max_tokens, uint64_t seed);

// `rules` with the types of the blocks named `blocks` (in its "blocks" list) and `extra` (token
// texts of the parent that no listed block holds: a one-block split of "other", the types that
// stay) shuffled among them, sizes kept: the pool sorted by `count` (training occurrences per
// token text, most first) and shuffled within strata of `stratum` neighbours, so each block keeps
// about its share of the text. What lands in `extra` is left unlisted. Anchors of the permuted
// blocks are dropped (they do not change a readable set).
nlohmann::json permuted_rules(const nlohmann::json& rules, const std::vector<std::string>& blocks,
                              const std::vector<std::string>& extra,
                              const std::unordered_map<std::string, int64_t>& count, int64_t stratum,
                              uint64_t seed);

}  // namespace localist
