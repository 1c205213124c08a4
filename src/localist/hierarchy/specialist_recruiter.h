#pragma once
// LLM-level recruitment (docs/design.md §1.6): grow a hierarchy by whole specialist models.
//  1. The training text is cut into chunks of lines and clustered into domains without labels
//     (recruit/domain_clusters); each cluster's last `holdout` of chunks is held out.
//  2. A cluster's domain entropy is its held-out NLL (nats/token) under the current hierarchy
//     and routing. Below `entropy_threshold` it is left alone.
//  3. Only once block recruitment has nothing left to give: the base run's last
//     `exhausted_after` block decisions (its recruit.jsonl) accepted nothing.
//  4. A candidate specialist is fine-tuned from the base (--init-from: same tokenizer and
//     shape, the base's blocks and rules) on the cluster's training chunks, and scored on the
//     held-out chunks of *all* clusters, routed: in nats per token of the whole corpus,
//        Delta L_total^LLM = (k/2) ln N / N + L_data(with) - L_data(without) < -theta_LLM
//     with k the parameters it trained (all, or those --train-only names: the decoder knows M0,
//     so only what the specialist changed is coded) and N the corpus's training tokens
//     (recruit/criterion), and
//     theta_LLM / theta_block in [50, 200] (checked).
//  5. Accepted specialists join the hierarchy (hierarchy add); every decision is a JSON line in
//     DIR/recruit.jsonl, in the block recruiter's format ("type": "specialist").
#include <iostream>
#include <string>

#include "localist/core/config.h"

namespace localist {

struct SpecialistConfig {
  std::string data_file;           // the training text (a mixture of domains)
  int64_t clusters = 3;
  int64_t chunk_chars = 2000;
  double holdout = 0.1;            // each cluster's last chunks, for scoring
  double theta_llm = 0.1;          // nats per corpus token
  double theta_block = 0.001;      // the block threshold it is checked against
  double entropy_threshold = 0;    // nats/token
  int64_t segment_tokens = 128;    // routed scoring segments
  int64_t max_eval_segments = 200; // per cluster
  int64_t exhausted_after = 3;
  bool skip_block_check = false;   // the base ran no block recruitment (recorded in the log)
  TrainConfig train;               // the specialists' fine-tune

  void validate() const;  // ConfigError naming the field
};

struct SpecialistSummary {
  int64_t accepted = 0, rejected = 0, skipped = 0;
};

SpecialistSummary recruit_specialists(const std::string& hierarchy_dir, const SpecialistConfig& cfg,
                                      std::ostream* out = &std::cout);

}  // namespace localist
