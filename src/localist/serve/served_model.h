#pragma once
// A checkpoint (or a hierarchy of them) behind `localist serve`: the weights loaded once and
// shared by every request, the rules sets loaded at start by name (each a RulesWatch:
// hot-reloaded as `chat` does, checked before each request; a request copies the rules in force,
// so a reload never changes a generation half-way), and one request's run: sampling under the
// request's dial and rules, its text streamed piece by piece, and (if asked) each generated
// token's audit. A hierarchy's router (hierarchy/router.h) reads the prompt: each member's NLL of
// its predictions, the posterior over members after the first `prefix` of them; the member it
// chooses generates (hard routing: its blocks and anchors are the audit trail). A soft manifest's
// mixture is not sampled here: the posterior's argmax generates, and the response says so.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "localist/blocks/rules_watch.h"
#include "localist/model/dial.h"
#include "localist/run/checkpoint.h"
#include "localist/serve/completion_request.h"

namespace localist::serve {

struct Completion {
  std::string text;
  std::string finish_reason;  // "stop" (a stop sequence), "length" (max_tokens or the deadline)
  bool timed_out = false;     // the deadline ended it (finish_reason "length")
  bool cancelled = false;     // on_piece refused a piece (the client went away)
  int64_t prompt_tokens = 0, completion_tokens = 0;
  uint64_t seed = 0;
  double lambda = 0, kappa = 0;
  std::string rules, rules_version;  // the set's name and "name@reloads"
  nlohmann::json explanation;        // per generated token (explain), else null
  nlohmann::json summary;            // block / pointer fidelity and entropy over them, else null
  nlohmann::json routing;            // a hierarchy: the member chosen and the router's posterior
};

// Text decoded so far, given piece by piece; returning false cancels (the client went away).
using PieceCallback = std::function<bool(const std::string& piece)>;

// One model of what is served: a run, or a member of a hierarchy.
struct ServedMember {
  std::string name;
  LoadedModel lm;
  LocalistConfig localist;  // its settings with the command line's overrides
};

// A request made ready to run: everything that can be refused is checked here, before a
// response (or a stream) starts.
struct PreparedRequest {
  CompletionRequest request;
  std::vector<int32_t> prompt;
  LocalistConfig config;  // the rules set's copy: a reload never changes a running generation
  BlockMap blocks;
  std::string rules, rules_version;  // the set's name and "name@reloads"
  Dial dial;
  uint64_t seed = 0;
  size_t member = 0;       // the member that generates
  nlohmann::json routing;  // null for a single run
};

class ServedModel {
 public:
  // One member: a run. Several: a hierarchy (member 0 the base, all sharing its tokenizer),
  // routed as `routing` ("hard" | "soft") after `prefix` predictions. Each member's localist
  // settings are its default dial and rules; `rules_files`: NAME -> rules file, each watched.
  ServedModel(std::vector<ServedMember> members, std::string routing, int64_t prefix, torch::Device device,
              std::string name, const std::vector<std::pair<std::string, std::string>>& rules_files);

  const std::string& name() const { return name_; }
  int64_t context_length() const;  // the smallest of the members'
  nlohmann::json describe() const;  // for GET /v1/models

  // Throws RequestError (400): a prompt the model cannot take, an unknown rules set.
  PreparedRequest prepare(const CompletionRequest& r);
  // Samples under the request's dial and rules until max_tokens, a stop sequence, the deadline
  // or a cancelling on_piece.
  Completion run(const PreparedRequest& p, const PieceCallback& on_piece,
                 std::chrono::steady_clock::time_point deadline);

 private:
  // Fills c.explanation and c.summary: for each generated token, the attention of the query that
  // produced it (position p - 1) and the distribution it was drawn from.
  void explain(Completion& c, const std::vector<int32_t>& ids, const PreparedRequest& p,
               const std::vector<torch::Tensor>& dists);
  // Sets p.member and p.routing from the members' NLL of the prompt.
  void route(PreparedRequest& p);
  const data::Tokenizer& tokenizer() const { return *members_[0].lm.tokenizer; }

  std::vector<ServedMember> members_;
  std::vector<BlockMap> member_blocks_;  // each member's own block map (its default rules)
  std::string routing_;
  int64_t prefix_;
  torch::Device device_;
  std::string name_;
  std::mutex rules_mutex_;
  std::map<std::string, std::unique_ptr<RulesWatch>> watched_;
};

}  // namespace localist::serve
