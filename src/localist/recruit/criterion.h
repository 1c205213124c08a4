#pragma once
// The recruitment criterion (docs/design.md §1.5) in explicit units: nats per training token.
// A candidate (j new blocks) is worth its cost iff the total description length drops by more
// than theta per block added:
//   Delta L_total = Delta L_model + Delta L_data [- Delta L_pointer] < -j * theta
//   Delta L_model = [ (k/2) ln N  +  rule code ] / N
//       k  parameters the candidate adds (its new heads), N training tokens: the two-part
//          MDL code length of real-valued parameters at precision 1/sqrt(N);
//       the rule code (rule_code_nats): which of the parent's types move, into how many blocks
//          of which sizes, which types form each (blocks unordered), and each block's anchors;
//       divided by N to put the model's code on the same per-token scale as the data's.
//   Delta L_data = L_data|p+1 - L_data|p: held-out NLL (nats/token) after the same short
//       fine-tune (same steps, batches and learning rate) with and without the candidate.
//   Delta L_pointer (criterion "pointer", the default; recruit/pointer_code.h): what the
//       candidate's rules save in naming where the model already reads, beyond a permutation of
//       its types: the audit's code. "likelihood" and "seed" leave it out.
// Confidence (recruit/paired_bootstrap): under "likelihood" and "pointer" a block is recruited
// only when the gain is also sure: Delta L_model + the upper end of the 95 % interval of
// Delta L_data (- Delta L_pointer: both bootstrapped together over the held-out windows) < 0. "seed" is the criterion as first
// written: Delta L_model + Delta L_data < -theta, nothing else.
// Termination (p_max, the seed's bound): a query's pointer costs at most ln N nats, N the
// positions it chooses among (the context length), and at least H_min; each block recruited
// must buy more than theta, so at most p_max = ceil((ln N - H_min) / theta) blocks. The recruiter
// enforces it as a hard cap, counted in blocks (a candidate that would pass it is not scored).
#include <cstdint>
#include <string>
#include <vector>

namespace localist {

// What a candidate's rules must say, counted for their code length.
struct RuleCode {
  int64_t parent_types = 0;           // M: types of the block being split (0 with no blocks: no rule)
  std::vector<int64_t> block_sizes;   // m_1 .. m_j: types of each new block
  std::vector<int64_t> anchors;       // a_1 .. a_j: anchors each new block lists (empty: none)
  int64_t types() const;              // m = sum m_i
  int64_t blocks() const { return static_cast<int64_t>(block_sizes.size()); }
};

// In nats: ln M (how many move) + ln C(M, m) (which) + ln m (how many blocks) + ln C(m-1, j-1)
// (their sizes) + ln (m! / prod m_i!) - ln j! (which type in which block; blocks unordered)
// + sum_i [ln (m_i + 1) + ln C(m_i, a_i)] (each block's anchors). 0 for no blocks.
// ConfigError on impossible counts.
double rule_code_nats(const RuleCode& r);

struct CriterionTerms {
  int64_t params_added = 0;    // k
  int64_t train_tokens = 0;    // N
  int64_t vocab = 0;           // V
  RuleCode rule;
  double model_params_nats = 0;  // (k/2) ln N / N
  double model_rule_nats = 0;    // rule_code_nats / N
  double delta_model = 0;        // their sum
  double data_without = 0;       // L_data|p (nats/token)
  double data_with = 0;          // L_data|p+1
  double delta_data = 0;
  double pointer = 0;            // Delta L_pointer (0 unless add_pointer)
  double delta_total = 0;
  double theta = 0;
  double threshold = 0;          // theta * blocks added (at least one)
  double total_hi = 0;           // upper end of Delta L_total's interval (require_confidence)
  bool confident = true;         // total_hi < 0 (true until an interval is known)
  bool accept = false;           // delta_total < -threshold, and confident
};

// All terms from the measured held-out NLLs; throws ConfigError on impossible inputs.
CriterionTerms recruitment_terms(int64_t params_added, int64_t train_tokens, int64_t vocab,
                                 const RuleCode& rule, double data_without, double data_with, double theta);

// The pointer's saving joins the total: Delta L_total -= pointer.
void add_pointer(CriterionTerms& t, double pointer);

// Adds the interval: total_hi = delta_model + hi, hi the upper end of the 95 % interval of
// Delta L_data (- Delta L_pointer, when it is in the total: one paired bootstrap of both over the
// same held-out windows); accept only if also total_hi < 0.
void require_confidence(CriterionTerms& t, double hi);

// ceil((ln positions - h_min) / theta), at least 0: the most blocks recruitment may add.
int64_t max_recruitments(int64_t positions, double h_min, double theta);

// LLM-level recruitment (a whole specialist, docs/design.md §1.6) uses the same terms with k its
// parameters, N the corpus's training tokens and no rule; its threshold must be
// 50 to 200 times the block threshold, so a specialist is recruited only for what blocks
// cannot buy. ConfigError naming both values otherwise.
void check_theta_ratio(double theta_llm, double theta_block);

}  // namespace localist
