#pragma once
// Block recruitment during training (docs/design.md, "Block recruitment"): at each decision point, find the confused
// queries (confusion.h), propose a candidate block (candidate.h), give it new capacity (one more
// head per layer, model/grow_heads.h: function unchanged), fine-tune a copy with the candidate and
// a copy without it for the same steps on the same batches, score both on held-out data, and
// accept iff Delta L_total < -theta per block added (criterion.h), at most p_max blocks. The trainer calls it through its growth hook (train/growth_hook.h). Every decision, accepted
// or not, is a JSON line in the audit log (recruit.jsonl) with each term and its unit.
#include <iostream>
#include <optional>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "localist/core/config.h"
#include "localist/core/progress.h"
#include "localist/train/growth_hook.h"

namespace localist {

class Recruiter : public GrowthHook {
 public:
  // audit_path: the JSON-lines audit log; records after resume_step (an interrupted run's) are
  // dropped and the rest restore the count and the splits already decided. A split is proposed
  // again only retry_after steps after its last decision (the model has moved on since).
  explicit Recruiter(const GrowthSetup& setup);

  bool due(int64_t step) const override;  // a decision point (step = optimizer steps done)

  // One decision: the trainer's objective at this step (its blocks are the current rules'),
  // the run's localist settings with the current vocab rules, the fine-tunes at context.lr.
  std::optional<Grown> decide(const GrowthContext& context) override;

  int64_t accepted() const override { return accepted_; }
  std::string describe() const override;
  int64_t p_max() const { return p_max_; }

 private:
  RecruitConfig rc_;
  MetricsLog audit_;
  int64_t vocab_, p_max_, accepted_ = 0;  // accepted_: blocks recruited
  std::map<std::string, int64_t> decided_;  // split key -> step of its latest decision
  std::set<std::string> tried_at(int64_t step) const;  // splits not to propose at `step`
};

// For TrainRequest::growth: block recruitment when the run's recruit settings turn it on.
GrowthHookFactory recruiter_factory();

}  // namespace localist
