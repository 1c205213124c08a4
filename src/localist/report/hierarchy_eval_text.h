#pragma once
// What `localist hierarchy eval` prints without --json, from that JSON (hierarchy_eval_json.h):
// the routing table per domain, and the bounds and attention tables where they were measured.
#include <cstdio>

#include <nlohmann/json.hpp>

namespace localist {

void print_hierarchy_eval(std::FILE* out, const nlohmann::json& e);

// What `localist hierarchy route` prints without --json, from that JSON.
void print_distributed_eval(std::FILE* out, const nlohmann::json& e);

}  // namespace localist
