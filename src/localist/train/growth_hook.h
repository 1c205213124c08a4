#pragma once
// How the trainer lets something above it grow the model mid-run (block recruitment,
// recruit/recruiter.h) without knowing what it is: at each step the hook says whether a decision
// is due; a decision sees the trainer's state and may return a grown model, its optimizer state
// and the rules that go with it. The trainer swaps them in (on every rank) and carries on.
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "localist/core/config.h"
#include "localist/core/safetensors.h"
#include "localist/loss/localist_loss.h"
#include "localist/model/gpt.h"
#include "localist/run/run_data.h"
#include "localist/train/adamw.h"

namespace localist {

// The trainer's state at a decision point; nothing in it may be changed by the hook.
struct GrowthContext {
  int64_t step;                        // optimizer steps done
  Gpt& model;                          // copy it (grow_heads) before training a variant
  const AdamW& optimizer;
  const LocalistConfig& localist;      // the run's settings with its current rules
  const LocalistObjective& objective;  // this step's objective (its blocks: the current rules')
  double lr;
  const RunData& data;
  const TrainConfig& train;
  std::ostream* out;                   // progress lines; nullptr = quiet
};

struct Grown {
  Gpt model{nullptr};     // to train from here on
  TensorMap optimizer;    // its AdamW state, grown to match
  nlohmann::json rules;   // the rules with the new block
};

class GrowthHook {
 public:
  virtual ~GrowthHook() = default;
  virtual bool due(int64_t step) const = 0;
  virtual std::optional<Grown> decide(const GrowthContext& context) = 0;
  virtual int64_t accepted() const = 0;      // growths so far, this run in total
  virtual std::string describe() const = 0;  // one line for the start of the log
};

// What a hook is made from, once the run's data and step are known.
struct GrowthSetup {
  RecruitConfig recruit;
  std::string audit_path;  // JSON lines of every decision; "" on ranks other than 0
  int64_t vocab = 0, train_tokens = 0, start_step = 0;
  int64_t positions = 0;   // the context length: the keys a query chooses among (p_max)
};
using GrowthHookFactory = std::function<std::unique_ptr<GrowthHook>(const GrowthSetup&)>;

}  // namespace localist
