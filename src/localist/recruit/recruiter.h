#pragma once
// Block recruitment during training (DESIGN.md §1.5): at each decision point, find the confused
// queries (confusion.h), propose a candidate block (candidate.h), give it new capacity (one more
// head per layer, model/grow_heads.h: function unchanged), fine-tune a copy with the candidate and
// a copy without it for the same steps on the same batches, score both on held-out data, and
// accept iff Delta L_total < -theta (criterion.h), at most p_max times. Every decision, accepted
// or not, is a JSON line in the audit log (recruit.jsonl) with each term and its unit.
#include <iostream>
#include <optional>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "localist/core/config.h"
#include "localist/core/progress.h"
#include "localist/model/gpt.h"
#include "localist/train/adamw.h"
#include "localist/train/localist_loss.h"
#include "localist/train/run_data.h"

namespace localist {

struct Accepted {
  Gpt model{nullptr};     // grown in place of the trainer's (not the fine-tuned copy)
  TensorMap optimizer;    // its AdamW state, grown to match
  nlohmann::json rules;   // the vocab rules with the new block
};

class Recruiter {
 public:
  // audit_path: the JSON-lines audit log; records after resume_step (an interrupted run's) are
  // dropped and the rest restore the count and the splits already decided. A split is proposed
  // again only retry_after steps after its last decision (the model has moved on since).
  Recruiter(const RecruitConfig& rc, std::string audit_path, int64_t vocab, int64_t train_tokens,
            int64_t resume_step);

  bool due(int64_t step) const;  // a decision point (step = optimizer steps done)

  // One decision. `objective`: the trainer's at this step (its blocks are the current rules');
  // `run_localist`: the run's localist settings with the current vocab rules; lr: the learning
  // rate of the fine-tunes.
  std::optional<Accepted> decide(int64_t step, Gpt& model, const AdamW& opt,
                                 const LocalistConfig& run_localist, const LocalistObjective& objective,
                                 double lr, const RunData& rd, const TrainConfig& tcfg,
                                 std::ostream* out);

  int64_t accepted() const { return accepted_; }
  int64_t p_max() const { return p_max_; }

 private:
  RecruitConfig rc_;
  MetricsLog audit_;
  int64_t vocab_, train_tokens_, p_max_, accepted_ = 0;
  std::map<std::string, int64_t> decided_;  // split key -> step of its latest decision
  std::set<std::string> tried_at(int64_t step) const;  // splits not to propose at `step`
};

}  // namespace localist
