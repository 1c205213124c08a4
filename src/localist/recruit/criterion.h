#pragma once
// The recruitment criterion (docs/design.md §1.5) in explicit units: nats per training token.
// A candidate block p+1 is worth its cost iff the total description length drops by more
// than theta:
//   Delta L_total = Delta L_model + Delta L_data < -theta
//   Delta L_model = [ (k/2) ln N  +  ln C(V, m) ] / N
//       k  parameters the candidate adds (its new heads), N training tokens: the two-part
//          MDL code length of real-valued parameters at precision 1/sqrt(N);
//       ln C(V, m)  the rule itself: which m of the V vocabulary types the block holds (when a
//          split of "other" makes several blocks, m counts them all and the multinomial
//          ln (m! / (m_1! ... m_j!)) more says which of them form each);
//       divided by N to put the model's code on the same per-token scale as the data's.
//   Delta L_data = L_data|p+1 - L_data|p: held-out NLL (nats/token) after the same short
//       fine-tune (same steps, batches and learning rate) with and without the candidate.
// Confidence (recruit/paired_bootstrap): a block is recruited only when the gain is also sure:
// the upper end of Delta L_total's 95 % interval (Delta L_model + the upper end of Delta L_data's
// paired-bootstrap interval) must be below 0. A split whose gain the held-out windows cannot tell
// from no gain waits and is proposed again later (measured: docs/recruitment.md, "Stable
// decisions").
// Termination (p_max): every accepted candidate lowers L_total by more than theta and adds
// model code (Delta L_model >= 0), so it lowers L_data by more than theta. A held-out NLL starts
// at most at ln V (the uniform code over the vocabulary; the trainer starts lower) and never
// goes below H_min (the data's entropy; 0 in general), so at most
//   p_max = ceil((ln V - H_min) / theta)
// candidates can be accepted. The recruiter enforces p_max as a hard cap as well, so the bound
// holds even if training between decisions raised L_data.
#include <cstdint>
#include <vector>

namespace localist {

struct CriterionTerms {
  int64_t params_added = 0;    // k
  int64_t train_tokens = 0;    // N
  int64_t vocab = 0;           // V
  int64_t block_types = 0;     // m
  std::vector<int64_t> block_sizes;  // m_1 .. m_j when the candidate makes several blocks (empty: one)
  double model_params_nats = 0;  // (k/2) ln N / N
  double model_rule_nats = 0;    // [ln C(V, m) + ln (m! / prod m_i!)] / N
  double delta_model = 0;        // their sum
  double data_without = 0;       // L_data|p (nats/token)
  double data_with = 0;          // L_data|p+1
  double delta_data = 0;
  double delta_total = 0;
  double theta = 0;
  double total_hi = 0;           // upper end of Delta L_total's interval (require_confidence)
  bool confident = true;         // total_hi < 0 (true until an interval is known)
  bool accept = false;           // delta_total < -theta, and confident
};

// All terms from the measured held-out NLLs; throws ConfigError on impossible inputs.
CriterionTerms recruitment_terms(int64_t params_added, int64_t train_tokens, int64_t vocab,
                                 int64_t block_types, double data_without, double data_with,
                                 double theta, const std::vector<int64_t>& block_sizes = {});

// Adds the interval: total_hi = delta_model + data_hi (the upper end of Delta L_data's
// interval); accept only if also total_hi < 0.
void require_confidence(CriterionTerms& t, double data_hi);

// ceil((ln vocab - h_min) / theta), at least 0.
int64_t max_recruitments(int64_t vocab, double h_min, double theta);

// LLM-level recruitment (a whole specialist, docs/design.md §1.6) uses the same terms with k its
// parameters, N the corpus's training tokens and no rule (V = 1, m = 0); its threshold must be
// 50 to 200 times the block threshold, so a specialist is recruited only for what blocks
// cannot buy. ConfigError naming both values otherwise.
void check_theta_ratio(double theta_llm, double theta_block);

}  // namespace localist
