#pragma once
// A checkpoint (or a hierarchy of them) behind `localist serve`: the weights loaded once and
// shared by every request, the rules sets loaded at start by name (each a RulesWatch:
// hot-reloaded as `chat` does, checked before each request; a request copies the rules in force,
// so a reload never changes a generation half-way), and one request's run: sampling under the
// request's dial and rules, its text streamed piece by piece, and (if asked) each generated
// token's audit. A hierarchy's router (hierarchy/router.h) reads the prompt: each member's NLL of
// its predictions, the posterior over members after the first `prefix` of them; the member it
// chooses generates (hard routing: its blocks and anchors are the audit trail). A soft manifest
// samples the gated mixture (hierarchy/mixture_sampler.h): the router reads the whole prompt, every
// member predicts each token under its own blocks and dial, the posterior moves with each token,
// and each token's audit is the member with the largest weight at that token.
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
#include "localist/hierarchy/mixture_sampler.h"
#include "localist/metrics/text_explain.h"
#include "localist/model/dial.h"
#include "localist/run/checkpoint.h"
#include "localist/serve/batcher.h"
#include "localist/serve/completion_request.h"
#include "localist/serve/token_logprobs.h"

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
  std::string echoed;                // echo: the prompt as the model read it (decoded), before text
  std::vector<ScoredToken> scored;   // logprobs: (echo: the prompt's tokens, then) each generated token
  std::chrono::steady_clock::time_point first_token, last_token;  // when made (for /metrics)
};

// Text decoded so far, given piece by piece, with (streamed explain) the audit records of the
// tokens made since the last piece; returning false cancels (the client went away).
using PieceCallback = std::function<bool(const std::string& piece, const nlohmann::json& audits)>;

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
  size_t member = 0;       // the member that generates (soft: the posterior's argmax after the prompt)
  nlohmann::json routing;  // null for a single run
  std::vector<double> log_posterior;  // a hierarchy: per member, after the prompt
};

class ServedModel {
 public:
  // One member: a run. Several: a hierarchy (member 0 the base, all sharing its tokenizer),
  // routed as `routing` ("hard" | "soft") after `prefix` predictions. Each member's localist
  // settings are its default dial and rules; `rules_files`: NAME -> rules file, each watched.
  ServedModel(std::vector<ServedMember> members, std::string routing, int64_t prefix, torch::Device device,
              std::string name, const std::vector<std::pair<std::string, std::string>>& rules_files);

  // From now on, concurrent requests' decoding steps share forwards, at most max_batch rows
  // each (serve/batcher.h); without it each request runs its own.
  void batch_steps(int64_t max_batch);
  nlohmann::json batching() const;  // {"max_batch", "forwards", "steps"}, or null

  const std::string& name() const { return name_; }
  int64_t context_length() const;  // the smallest of the members'
  int64_t vocab_size() const { return tokenizer().vocab_size(); }
  nlohmann::json describe() const;  // for GET /v1/models
  // GET /tokenizer_info, POST /tokenize and /detokenize (vLLM's shapes): the served tokenizer. The
  // end-of-text token is the first of <|endoftext|>, </s>, "\n" that is one token and decodes back.
  nlohmann::json tokenizer_info() const;
  nlohmann::json tokenize(const std::string& text) const;              // {"tokens", "count", "max_model_len"}
  nlohmann::json detokenize(const std::vector<int32_t>& ids) const;    // {"prompt"}; RequestError on a bad id

  // Throws RequestError (400): a prompt the model cannot take, an unknown rules set.
  PreparedRequest prepare(const CompletionRequest& r);
  // Samples under the request's dial and rules until max_tokens, a stop sequence, the deadline
  // or a cancelling on_piece.
  Completion run(const PreparedRequest& p, const PieceCallback& on_piece,
                 std::chrono::steady_clock::time_point deadline);

 private:
  // The audit of generated tokens first.. of ids (per token i: dists[i] it was drawn from,
  // audited[i] the member audited, weights[i] a mixture's weights or none): for each, the attention
  // of the query that produced it (position p - 1), from one forward of ids per audited member.
  struct Audit {
    TextExplanation rows;                          // those queries' rows
    nlohmann::json records = nlohmann::json::array();  // one audit record per token
  };
  Audit audit(const PreparedRequest& p, const std::vector<int32_t>& ids, size_t first,
              const std::vector<torch::Tensor>& dists, const std::vector<size_t>& audited,
              const std::vector<std::vector<double>>& weights);
  nlohmann::json audit_record(const ExplainedToken& row, size_t member, const BlockMap& blocks,
                              const std::vector<int32_t>& ids, size_t position, const torch::Tensor& dist,
                              const std::vector<double>& weights) const;
  // The logprobs of p's prompt (echo) and `made`: one forward under the request's dial and rules.
  std::vector<ScoredToken> scores(const PreparedRequest& p, const std::vector<int32_t>& made);
  // Block / pointer fidelity and entropy over the audited rows (the heads every member audited has).
  nlohmann::json summary(const TextExplanation& made, const std::vector<size_t>& audited) const;
  // The soft mixture's members under the request's dial overrides.
  std::vector<MixtureMember> mixture(const PreparedRequest& p);
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
  std::unique_ptr<Batcher> batcher_;
};

}  // namespace localist::serve
