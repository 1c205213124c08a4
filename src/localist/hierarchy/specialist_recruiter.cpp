#include "localist/hierarchy/specialist_recruiter.h"

#include <filesystem>

#include "localist/core/atomic_file.h"
#include "localist/core/errors.h"
#include "localist/core/progress.h"
#include "localist/data/corpus.h"
#include "localist/recruit/criterion.h"
#include "localist/hierarchy/domain_clusters.h"
#include "localist/hierarchy/hierarchy.h"
#include "localist/hierarchy/router.h"
#include "localist/hierarchy/segments.h"
#include "localist/train/trainer.h"

namespace localist {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Block recruitment has nothing left to give: its last `n` decisions accepted nothing.
json block_recruitment_state(const std::string& member_dir, int64_t n) {
  const auto log = MetricsLog((fs::path(member_dir) / "recruit.jsonl").string()).read_until(1LL << 62);
  json s = {{"decisions", log.size()}, {"window", n}};
  if (static_cast<int64_t>(log.size()) < n) {
    s["exhausted"] = false;
    s["why"] = "the base run made " + std::to_string(log.size()) + " block decisions, fewer than " + std::to_string(n);
    return s;
  }
  int64_t accepted = 0;
  for (size_t i = log.size() - static_cast<size_t>(n); i < log.size(); ++i)
    accepted += log[i].value("decision", "") == "accept";
  s["accepted_in_window"] = accepted;
  s["exhausted"] = accepted == 0;
  if (accepted) s["why"] = "block recruitment accepted a block in its last " + std::to_string(n) + " decisions";
  return s;
}

// Scoring: every member's NLL of every held-out segment, computed once per member.
struct Scores {
  std::vector<std::vector<torch::Tensor>> nll;  // [member][segment] (S-1,)
  std::vector<int64_t> segment_cluster;

  void add_member(LoadedModel& lm, const std::vector<std::vector<int32_t>>& segments) {
    nll.emplace_back();
    const auto blocks = BlockMap::from_config(lm.meta.localist, *lm.tokenizer);
    for (const auto& s : segments) nll.back().push_back(segment_nll(lm, blocks, s));
  }
  // mean routed NLL (nats/prediction) over the segments of `cluster` (-1: all)
  double routed(const Hierarchy& h, int64_t members, int64_t cluster) const {
    double sum = 0, n = 0;
    for (size_t s = 0; s < segment_cluster.size(); ++s) {
      if (cluster >= 0 && segment_cluster[s] != cluster) continue;
      std::vector<torch::Tensor> rows;
      for (int64_t m = 0; m < members; ++m) rows.push_back(nll[m][s]);
      const auto x = torch::stack(rows);
      const auto r = h.routing == "soft" ? route_soft(x) : route_hard(x, std::min(h.prefix, x.size(1)));
      sum += r.nll.sum().item<double>();
      n += static_cast<double>(x.size(1));
    }
    return n > 0 ? sum / n : 0;
  }
};

std::string join(const std::vector<std::string>& chunks, size_t from, size_t to) {
  std::string s;
  for (size_t i = from; i < to; ++i) s += chunks[i];
  return s;
}

// Per cluster: training chunks (the first 1 - holdout of its chunks) and held-out ones.
struct ClusterChunks {
  std::vector<std::vector<std::string>> train, held;
};

ClusterChunks split_clusters(const DomainClusters& domains, const SpecialistConfig& cfg) {
  ClusterChunks out{std::vector<std::vector<std::string>>(cfg.clusters), std::vector<std::vector<std::string>>(cfg.clusters)};
  for (int64_t c = 0; c < cfg.clusters; ++c) {
    std::vector<std::string> mine;
    for (size_t i = 0; i < domains.chunks.size(); ++i)
      if (domains.cluster[i] == c) mine.push_back(domains.chunks[i]);
    const size_t held = std::max<size_t>(1, static_cast<size_t>(cfg.holdout * static_cast<double>(mine.size())));
    for (size_t i = 0; i < mine.size(); ++i) (i + held < mine.size() ? out.train : out.held)[c].push_back(mine[i]);
  }
  return out;
}

// The held-out scoring segments of segment_tokens tokens, each cluster's recorded in `scores`.
std::vector<std::vector<int32_t>> held_out_segments(const data::Tokenizer& tok, const ClusterChunks& chunks,
                                                    const SpecialistConfig& cfg, Scores& scores) {
  std::vector<std::vector<int32_t>> out;
  for (int64_t c = 0; c < cfg.clusters; ++c) {
    int64_t taken = 0;
    for (const auto& chunk : chunks.held[c]) {
      if (taken == cfg.max_eval_segments) break;
      for (auto& seg : localist::segments(tok.encode(chunk), cfg.segment_tokens, cfg.max_eval_segments - taken)) {
        out.push_back(std::move(seg)), ++taken;
        scores.segment_cluster.push_back(c);
      }
    }
  }
  if (out.empty()) throw DataError("'" + cfg.data_file + "': no held-out chunk holds a " + std::to_string(cfg.segment_tokens) + "-token segment");
  return out;
}

// "cN", or "cN-2", "cN-3", ... when a member already has that name.
std::string member_name(const Hierarchy& manifest, int64_t c) {
  std::string name = "c" + std::to_string(c);
  for (int i = 2; std::any_of(manifest.members.begin(), manifest.members.end(),
                              [&](const auto& m) { return m.name == name; }); ++i)
    name = "c" + std::to_string(c) + "-" + std::to_string(i);
  return name;
}

// A fine-tune of the base on one cluster's chunks (written under `work`), with the base's blocks,
// rules and dial.
TrainRequest specialist_request(const std::string& base_dir, const CheckpointMeta& base_meta,
                                const SpecialistConfig& cfg, const ClusterChunks& chunks, int64_t c,
                                const fs::path& work) {
  fs::remove_all(work);
  fs::create_directories(work);
  write_text_atomically((work / "train.txt").string(), join(chunks.train[c], 0, chunks.train[c].size()));
  write_text_atomically((work / "valid.txt").string(), join(chunks.held[c], 0, chunks.held[c].size()));
  TrainRequest req;
  req.init_from = base_dir;
  req.data = base_meta.data;
  req.data.source = "";
  req.data.train_file = (work / "train.txt").string();
  req.data.valid_file = (work / "valid.txt").string();
  req.data.test_file = "";
  req.train = cfg.train;
  req.localist = base_meta.localist;
  req.run_dir = (work / "run").string();
  req.out = nullptr;
  return req;
}

void print_decision(std::ostream& out, const std::string& name, const CriterionTerms& t, double theta_llm) {
  char line[400];
  std::snprintf(line, sizeof line,
                "specialist %s: %s (dL_model %+.4f, dL_data %+.4f, dL_total %+.4f %s -theta_LLM = %.4f nats/token)\n",
                name.c_str(), t.accept ? "accept" : "reject", t.delta_model, t.delta_data, t.delta_total,
                t.accept ? "<" : ">=", -theta_llm);
  out << line;
}

}  // namespace

void SpecialistConfig::validate() const {
  auto bad = [](const std::string& field, const std::string& why) { throw ConfigError(field + ": " + why); };
  if (data_file.empty()) bad(setting("data"), "name the training text");
  if (clusters < 1) bad(setting("clusters"), "must be >= 1");
  if (chunk_chars < 1) bad(setting("chunk_chars"), "must be >= 1");
  if (!(holdout > 0 && holdout < 1)) bad(setting("holdout"), "must lie in (0, 1)");
  if (segment_tokens < 2) bad(setting("segment_tokens"), "must be >= 2");
  if (max_eval_segments < 1) bad(setting("max_eval_segments"), "must be >= 1");
  if (exhausted_after < 1) bad(setting("exhausted_after"), "must be >= 1");
  if (!(entropy_threshold >= 0)) bad(setting("entropy_threshold"), "must be >= 0 nats/token");
  check_theta_ratio(theta_llm, theta_block);
  train.validate();
}

SpecialistSummary recruit_specialists(const std::string& dir, const SpecialistConfig& cfg, std::ostream* out) {
  cfg.validate();
  auto h = load_hierarchy(dir, torch::Device(torch::kCPU));
  const CheckpointMeta base_meta = h.models.front().meta;  // (h.models grows: no references into it)
  const int64_t context = h.models.front().model->cfg.context_length;
  const std::string base_dir = (fs::path(dir) / h.manifest.members[0].path).string();
  const json blocks = block_recruitment_state(base_dir, cfg.exhausted_after);
  if (!blocks["exhausted"].get<bool>() && !cfg.skip_block_check)
    throw ConfigError("specialists are recruited only once block recruitment has nothing left to give: " +
                      blocks["why"].get<std::string>() + " (" + setting("skip_block_check") + " records and overrides this)");
  if (cfg.segment_tokens - 1 > context)
    throw ConfigError(setting("segment_tokens") + " " + std::to_string(cfg.segment_tokens) + " exceeds the models' context " +
                      std::to_string(context) + " + 1");

  const auto domains = cluster_domains(data::read_text_file(cfg.data_file), cfg.chunk_chars, cfg.clusters);
  const auto& tok = *h.models.front().tokenizer;  // owned through a unique_ptr: stays put
  const auto chunks = split_clusters(domains, cfg);
  int64_t N = 0;  // training tokens of the corpus
  for (const auto& cluster : chunks.train)
    for (const auto& c : cluster) N += static_cast<int64_t>(tok.encode(c).size());
  Scores scores;
  const auto segments = held_out_segments(tok, chunks, cfg, scores);
  for (auto& m : h.models) scores.add_member(m, segments);

  const MetricsLog audit((fs::path(dir) / "recruit.jsonl").string());
  const int64_t first = static_cast<int64_t>(audit.read_until(1LL << 62).size());
  SpecialistSummary summary;
  const auto sizes = domains.sizes();
  for (int64_t c = 0; c < cfg.clusters; ++c) {
    const int64_t members = static_cast<int64_t>(scores.nll.size());
    json rec = {{"type", "specialist"}, {"step", first + c}, {"cluster", "c" + std::to_string(c)},
                {"chunks", sizes[c]}, {"train_chunks", chunks.train[c].size()}, {"held_out_chunks", chunks.held[c].size()},
                {"sample", chunks.held[c].empty() ? "" : chunks.held[c].front().substr(0, 120)},
                {"members_before", members}, {"routing", h.manifest.routing}, {"block_recruitment", blocks},
                {"skip_block_check", cfg.skip_block_check},
                {"theta_LLM", cfg.theta_llm}, {"theta_block", cfg.theta_block},
                {"theta_ratio", cfg.theta_llm / cfg.theta_block},
                {"units", "nats per token (domain entropy: per held-out prediction of the cluster; "
                          "Delta terms: per held-out prediction of the whole corpus)"}};
    const double entropy = scores.routed(h.manifest, members, c);
    rec["domain_entropy_nats"] = entropy;
    rec["entropy_threshold"] = cfg.entropy_threshold;
    if (entropy <= cfg.entropy_threshold || chunks.train[c].empty()) {
      rec["decision"] = "none";
      rec["reason"] = chunks.train[c].empty() ? "no training chunks" : "domain entropy at or below the threshold";
      audit.append(rec);
      ++summary.skipped;
      continue;
    }
    const std::string name = member_name(h.manifest, c);
    const auto req = specialist_request(base_dir, base_meta, cfg, chunks, c, fs::path(dir) / "work" / name);
    if (out) *out << "specialist " << name << ": fine-tuning from the base on " << chunks.train[c].size()
                   << " chunks (domain entropy " << entropy << " nats/token)\n";
    const auto trained = train(req);
    h.models.push_back(load_model(req.run_dir, torch::Device(torch::kCPU)));
    scores.add_member(h.models.back(), segments);
    const double without = scores.routed(h.manifest, members, -1);
    Hierarchy grown = h.manifest;
    grown.members.push_back({name, name, "members/" + name});
    const double with = scores.routed(grown, members + 1, -1);
    const auto t = recruitment_terms(trained.trainable, N, 1, RuleCode{}, without, with, cfg.theta_llm);
    rec["candidate"] = name;
    rec["terms"] = {{"params_added_k", t.params_added}, {"train_tokens_N", t.train_tokens},
                    {"delta_L_model", t.delta_model}, {"L_data_without", without}, {"L_data_with", with},
                    {"delta_L_data", t.delta_data}, {"delta_L_total", t.delta_total}, {"theta", cfg.theta_llm},
                    {"cluster_L_data_with", scores.routed(grown, members + 1, c)}};
    rec["code_length"] = "Delta L_model = (k/2) ln N / N; L_data = held-out NLL of the whole corpus under " +
                         h.manifest.routing + " routing";
    rec["decision"] = t.accept ? "accept" : "reject";
    if (t.accept) {
      add_to_hierarchy(dir, name, req.run_dir);
      h.manifest = read_hierarchy(dir);
      ++summary.accepted;
    } else {
      h.models.pop_back();
      scores.nll.pop_back();
      ++summary.rejected;
    }
    audit.append(rec);
    if (out) print_decision(*out, name, t, cfg.theta_llm);
  }
  return summary;
}

}  // namespace localist
