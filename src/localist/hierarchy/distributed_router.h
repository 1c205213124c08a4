#pragma once
// Hard routing with a hierarchy's members spread over processes (train/distributed.h): member
// k is held by rank k % world_size. For each segment every rank scores the routing prefix
// with the members it holds; the prefix scores meet in one all-reduce (each rank fills its own
// rows), so every rank makes the router's decision identically; then the segment goes to the
// rank holding the chosen member, which alone scores the rest of it. The result equals
// route_hard on one process holding every member (hierarchy/router.h), to rounding.
#include <cstdint>
#include <vector>

#include "localist/blocks/block_map.h"
#include "localist/hierarchy/hierarchy.h"
#include "localist/hierarchy/hierarchy_eval.h"
#include "localist/hierarchy/router.h"
#include "localist/train/distributed.h"

namespace localist {

inline int owner_rank(int64_t member, int world_size) { return static_cast<int>(member % world_size); }

// blocks[k]: member k's block map (only those held are used). prefix in [1, segment size - 2].
Routed route_hard_across(Distributed& dist, LoadedHierarchy& h, const std::vector<BlockMap>& blocks,
                         const std::vector<int32_t>& segment, int64_t prefix);

// `localist hierarchy route`: every domain's segments routed hard across the processes.
struct DistributedEval {
  int ranks = 1;
  int64_t prefix = 0, segment_tokens = 0;
  std::vector<std::string> members;
  std::vector<DomainRouting> domains;  // hard routing only (base, soft and oracle are not scored)
  DomainRouting all;
  std::vector<int64_t> scored_by_rank;  // segments whose rest each rank scored
};

// prefix < 0: the manifest's. Every rank returns the same result.
DistributedEval evaluate_across(Distributed& dist, LoadedHierarchy& h, const std::vector<DomainTokens>& domains,
                                int64_t segment_tokens, int64_t max_segments, int64_t prefix);

}  // namespace localist
