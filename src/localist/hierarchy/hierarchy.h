#pragma once
// A hierarchy (docs/design.md §1.6): a base model M0 and specialists M1..Mk, each a whole localist
// checkpoint with its own blocks and rules, saved and loaded as one unit:
//   DIR/hierarchy.json         {"format": "localist-hierarchy", "version": 1,
//                               "members": [{"name": "base", "domain": "", "path": "members/base"},
//                                           {"name": "shakespeare", "domain": "shakespeare", ...}],
//                               "routing": "hard", "prefix": 32}
//   DIR/members/NAME/          model.safetensors + checkpoint.json (the optimizer is not kept)
// Member 0 is the base. Every member must share the base's tokenizer: the router compares the
// models' probabilities of the same tokens.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/run/checkpoint.h"

namespace localist {

struct HierarchyMember {
  std::string name;    // unique; [a-zA-Z0-9_-]+
  std::string domain;  // the data it was made for ("" for the base)
  std::string path;    // relative to the hierarchy directory
};

struct Hierarchy {
  std::vector<HierarchyMember> members;  // [0] = the base model
  std::string routing = "hard";          // hard | soft
  int64_t prefix = 32;                   // hard routing: predictions the router listens to

  nlohmann::json to_json() const;
  static Hierarchy from_json(const nlohmann::json& j, const std::string& source);  // CheckpointError
  int64_t member_for_domain(const std::string& domain) const;  // its index, or 0 (the base)
};

// Writes DIR (which must not exist) from checkpoints: base first, then (name, checkpoint) per
// specialist, whose domain is its name. Built in DIR.tmp and renamed: all or nothing.
void create_hierarchy(const std::string& dir, const std::string& base,
                      const std::vector<std::pair<std::string, std::string>>& specialists,
                      const std::string& routing, int64_t prefix);
// Adds one specialist to an existing hierarchy (rewrites hierarchy.json atomically).
void add_to_hierarchy(const std::string& dir, const std::string& name, const std::string& checkpoint);

Hierarchy read_hierarchy(const std::string& dir);
// routing must be hard or soft and prefix >= 0 (ConfigError naming `where` otherwise).
void check_routing(const std::string& routing, int64_t prefix, const std::string& where);

struct LoadedHierarchy {
  Hierarchy manifest;
  std::vector<LoadedModel> models;  // in manifest order; a member not held has no model
};
// hold(k): whether this process loads member k's weights (all when empty); the others get
// their config and tokenizer only (a hierarchy spread over processes, distributed_router.h).
LoadedHierarchy load_hierarchy(const std::string& dir, const torch::Device& device,
                               const std::function<bool(size_t)>& hold = {});

// One model's NLL (nats) of tokens[1..n-1] given what precedes each within the segment:
// (n - 1,) float64, under its own dial with `blocks` (its rules' block map, built once per
// member by the caller). The segment must fit the model's context (ConfigError otherwise).
torch::Tensor segment_nll(LoadedModel& lm, const BlockMap& blocks, const std::vector<int32_t>& tokens);
// The same under another dial (the dial moved at inference, e.g. from Python).
torch::Tensor segment_nll(Gpt& model, const BlockMap& blocks, const Dial& dial, const std::vector<int32_t>& tokens);

}  // namespace localist
