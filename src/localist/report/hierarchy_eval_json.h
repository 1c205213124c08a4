#pragma once
// What `localist hierarchy eval --json` prints (and localist.Hierarchy.evaluate returns in Python):
// per domain and over all, perplexity under base / hard / soft / oracle routing and hard routing's
// accuracy; with attention, each member's share-weighted entropy and fidelities; with bounds,
// each member's concentration guarantee under each routing.
#include <string>

#include <nlohmann/json.hpp>

#include "localist/hierarchy/distributed_router.h"
#include "localist/hierarchy/hierarchy_eval.h"

namespace localist {

// dir: the hierarchy directory, as its "hierarchy" field.
nlohmann::json to_json(const HierarchyEval& e, const std::string& dir);

// What `localist hierarchy route --json` prints: hard routing per domain with the members spread
// over processes, where each member lives and which rank scored what.
nlohmann::json to_json(const DistributedEval& e, const std::string& dir);

}  // namespace localist
