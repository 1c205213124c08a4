#pragma once
// Does routing keep each member's concentration guarantee? (docs/theory.md, "Routing")
//
// Every member runs on a segment with its own dial and blocks. Per member k and query t (mean
// over layers and heads): eps_{k->j}(t), k's attention mass off member j's target block X_j(t)
// among the visible keys, and k's margins delta (min target - max visible off-target logit, the
// dial's bias included: the attention as it is run). A member's guarantee is Lemma 1's bound at
// its uniform margin, delta_k = a low percentile of its margins over every (layer, head, query)
// it scored:  B_k(t) = (N - m) e^-delta_k / (m + (N - m) e^-delta_k), m = |X_k(t)|, N = t + 1.
// A routing gives prediction t the weights w_k(t) (hard: one-hot; soft: the posterior); the
// member whose blocks audit it is khat(t) = argmax_k w_k(t), and the evidence behind the output is
// the weighted attention, whose mass off khat's target block is
//   eps(t) = sum_k w_k(t) eps_{k->khat}(t)     <= w_khat B_khat(t) + (1 - w_khat)
// (the other members' attention may sit anywhere relative to khat's blocks). Hard routing keeps
// B_khat; soft routing keeps it only as far as the posterior is sure or the members agree.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"

namespace localist {

// One member's attention on one segment's T queries.
struct SegmentAttention {
  torch::Tensor off_mass;  // (K, T): mean over (layer, head) of the mass off member j's target block
  torch::Tensor margins;   // (L * H * T') float: margins where both target and off-target keys are visible
  torch::Tensor targets;   // (T) m = |X_own(t)|, float64
  torch::Tensor has_both;  // (T) bool: target and off-target keys visible under its own blocks
};

// x: (1, T) int64 on the model's device; targets: every member's target-key mask for x,
// (1, T, T) bool (target_keys of that member's layout), the member's own at index self.
SegmentAttention segment_attention(Gpt& model, const BlockMap& blocks, const Dial& dial, const torch::Tensor& x,
                                 const std::vector<torch::Tensor>& targets, size_t self);

struct RoutedBoundCheck {
  int64_t queries = 0;       // predictions this member audited (khat(t) = k) with the bound defined
  double weight = 0;         // mean w_khat(t)
  double off_mass = 0;       // mean eps(t)
  double bound = 0;          // mean B_khat(t): the member's own guarantee
  double within = 0;         // share of queries with eps(t) <= B_khat(t)
  double mixed_bound = 0;    // mean w B + (1 - w)
  double within_mixed = 0;   // share with eps(t) <= w B + (1 - w) (hard: the same as within)
};

// Accumulates segments; result() per member for each routing.
class RoutedConcentration {
 public:
  RoutedConcentration(size_t members, double percentile = 5.0);
  // attention: one per member on the segment; weights: (K, T) of one routing (Routed::weights).
  void add_segment(const std::vector<SegmentAttention>& attention, const std::vector<torch::Tensor>& weights);
  // Per routing (in the order of add_segment's weights), per member.
  std::vector<std::vector<RoutedBoundCheck>> result() const;
  std::vector<double> uniform_margins() const;  // delta_k, softmax units

 private:
  struct Query { float eps, m, n, w; int64_t member; };
  size_t K_;
  double percentile_;
  std::vector<std::vector<float>> margins_;   // [k] every margin member k produced
  std::vector<std::vector<Query>> queries_;  // [routing]
};

nlohmann::json to_json(const RoutedBoundCheck& c);

}  // namespace localist
