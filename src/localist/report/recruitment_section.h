#pragma once
// The report's recruitment charts for a run trained with --recruit (RUN/recruit.jsonl,
// docs/recruitment.md): the number of blocks after each decision against the step (does the
// block count converge?), and each scored candidate's Delta L_total with the 95 % bootstrap
// interval of its Delta L_data (shifted by Delta L_model) against -theta, accepted and rejected
// apart. Empty when the run has no audit log.
#include <string>

namespace localist {

std::string recruitment_section(const std::string& run_dir);

}  // namespace localist
