#pragma once
// A hierarchy on held-out text of known domains (docs/hierarchy.md): per domain, the NLL of the
// base alone, of hard routing, of soft routing and of the oracle (each segment to the member that
// should serve its domain), how often hard routing picks that member, and on request each
// member's attention and concentration guarantee on what each routing gave it. The one
// implementation behind `localist hierarchy eval` and Python's Hierarchy.evaluate().
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "localist/hierarchy/hierarchy.h"
#include "localist/hierarchy/routed_concentration.h"

namespace localist {

struct HierarchyEvalOptions {
  int64_t segment_tokens = 128;
  int64_t max_segments = 200;  // per domain (0 = all)
  int64_t prefix = -1;         // hard routing's prefix; -1: the manifest's
  std::vector<std::pair<std::string, std::string>> own;  // (domain, member) where not the domain's namesake
  bool attention = false;      // each member's entropy and fidelities on what each routing gave it
  bool bounds = false;         // each member's concentration guarantee under hard and soft routing
  double margin_percentile = 5;
};

// One domain's held-out text in the hierarchy's tokens; `source` names it in errors ("'FILE'").
struct DomainTokens {
  std::string name, source;
  std::vector<int32_t> ids;
};

struct DomainRouting {
  std::string domain;
  int64_t own = 0;  // the member that should serve it (the oracle's choice)
  int64_t segments = 0, predictions = 0, routed_right = 0;
  double base = 0, hard = 0, soft = 0, oracle = 0;  // summed NLL, nats
  std::vector<int64_t> chosen;                       // hard routing: segments per member
};

// A member's attention on the predictions a routing gave it: sums weighted by its share.
struct MemberAttention {
  double weight = 0, entropy = 0, block = 0, block_w = 0, pointer = 0, pointer_w = 0;
};

struct HierarchyEval {
  std::vector<std::string> members;  // names, the base first
  int64_t prefix = 0, segment_tokens = 0;
  std::vector<DomainRouting> domains;
  DomainRouting all;                                       // every domain's segments together
  std::vector<MemberAttention> hard_attention, soft_attention;  // per member; with options.attention
  double margin_percentile = 0;
  std::vector<double> uniform_margins;                     // per member; with options.bounds
  std::vector<std::vector<RoutedBoundCheck>> bounds;       // [hard, soft][member]; with options.bounds
};

// Every member's block map (its rules), in manifest order.
std::vector<BlockMap> member_blocks(const LoadedHierarchy& h);
// A domain's segments (segments.h); DataError naming its source when it holds none.
std::vector<std::vector<int32_t>> domain_segments(const DomainTokens& d, int64_t length, int64_t cap);
// d's segments, predictions and NLL sums added to `all` (its chosen counts too, where sized).
void add_totals(DomainRouting& all, const DomainRouting& d);

// ConfigError on options the hierarchy cannot honour, DataError on a domain without one segment.
HierarchyEval evaluate_hierarchy(LoadedHierarchy& h, const std::vector<DomainTokens>& domains,
                                 const HierarchyEvalOptions& options);

// The dial moved at inference for every member (no retraining): the rules of `rules_file` when
// non-empty, kappa when non-zero.
void override_members(LoadedHierarchy& h, const std::string& rules_file, double kappa);

}  // namespace localist
