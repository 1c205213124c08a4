#include "localist/train/trainer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <regex>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>

#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/core/progress.h"
#include "localist/data/batcher.h"
#include "localist/data/hash.h"
#include "localist/model/block_map.h"
#include "localist/model/dial.h"
#include "localist/model/gpt.h"
#include "localist/recruit/recruiter.h"
#include "localist/train/adamw.h"
#include "localist/train/localist_loss.h"
#include "localist/train/checkpoint.h"
#include "localist/train/distributed.h"
#include "localist/train/gradient_clip.h"
#include "localist/train/gradient_sync.h"
#include "localist/train/lambda_schedule.h"
#include "localist/train/lr_schedule.h"
#include "localist/rules/info_anchors.h"
#include "localist/rules/rules.h"
#include "localist/train/run_data.h"
#include "localist/train/weight_group_prox.h"

namespace fs = std::filesystem;

namespace localist {
namespace {

nlohmann::json eval_record(int64_t step, const char* split, const EvalResult& r) {
  return {{"type", "eval"},       {"step", step},     {"split", split},
          {"loss", r.nll},        {"perplexity", r.perplexity},
          {"accuracy", r.accuracy}, {"tokens", r.tokens}};
}

void check_finite(double loss, int64_t step, const char* what) {
  if (!std::isfinite(loss))
    throw ConfigError(std::string(what) + " became " + std::to_string(loss) + " at step " +
                      std::to_string(step) +
                      "; training diverged (lower --lr or raise --warmup; --on-nonfinite skip drops "
                      "single bad steps); the last good checkpoint is untouched");
}

// anchors = info:N: the N token types most informative about their block's continuation
// (rules/info_anchors.h), added to the rules as anchor tokens; the scores go to the log.
void choose_info_anchors(LocalistConfig& lcfg, const RunData& rd, int64_t block_size,
                         std::ostream* out, const std::string& metrics_path) {
  if (lcfg.rules.is_object() && lcfg.rules.contains("anchors"))
    throw ConfigError("anchors = " + lcfg.anchors + " chooses anchors from the data, but the "
                      "rules file lists anchors too; use one or the other");
  InfoAnchorOptions opt;
  const std::string n = lcfg.anchors.substr(5);
  try {
    opt.n = std::stoll(n);
  } catch (const std::exception&) {
    opt.n = 0;
  }
  if (opt.n < 1 || std::to_string(opt.n) != n)
    throw ConfigError("anchors = '" + lcfg.anchors + "': expected info:N with N a positive integer");
  LocalistConfig positions = lcfg;  // block ids only
  positions.anchors = "first";
  const auto scores = info_anchors(rd.train, BlockMap::from_config(positions, *rd.tokenizer),
                                   block_size, opt);
  if (scores.empty()) throw DataError("anchors = " + lcfg.anchors + ": no token type occurs " +
                                      std::to_string(opt.min_count) + " times with followers in its block");
  nlohmann::json tokens = nlohmann::json::array(), record = nlohmann::json::array();
  for (const auto& s : scores) {
    const auto text = rd.tokenizer->token_text(static_cast<int32_t>(s.token));
    tokens.push_back(text);
    record.push_back({{"token", text}, {"score_nats", s.score_nats}, {"count", s.count}});
  }
  if (lcfg.rules.is_null()) lcfg.rules = nlohmann::json::object();
  lcfg.rules["anchors"] = tokens;
  MetricsLog(metrics_path).append({{"type", "anchors"}, {"step", 0}, {"criterion", lcfg.anchors},
                                   {"anchors", record}});
  if (out) {
    *out << "anchors (" << lcfg.anchors << ", KL of the block's continuation, nats):";
    for (size_t i = 0; i < std::min<size_t>(scores.size(), 12); ++i)
      *out << " " << nlohmann::json(tokens[i].get<std::string>()).dump() << " " << std::fixed
           << std::setprecision(2) << scores[i].score_nats;
    *out << (scores.size() > 12 ? " ..." : "") << "\n" << std::defaultfloat;
  }
}

// Distributed recruitment: rank 0 decides (its fine-tunes read its own batches); every rank then
// applies rank 0's outcome, sent through the store (the grown config and rules, the weights, the
// AdamW state), so the grown parameters are identical everywhere.
std::optional<Accepted> share_decision(Distributed& dist, int64_t step, std::optional<Accepted> grown,
                                       const torch::Device& device) {
  const std::string key = "recruit/" + std::to_string(step);
  const bool root = dist.is_root();
  const std::string head = dist.share(
      key, !root ? "" : grown ? nlohmann::json{{"model", grown->model->cfg}, {"rules", grown->rules}}.dump() : "none");
  if (head == "none") return std::nullopt;
  TensorMap weights;
  if (root)
    for (const auto& p : grown->model->named_parameters()) weights[p.key()] = p.value();
  const std::string weight_bytes = dist.share(key + "/weights", root ? safetensors_bytes(weights) : "");
  const std::string optimizer_bytes = dist.share(key + "/optimizer", root ? safetensors_bytes(grown->optimizer) : "");
  if (root) return grown;
  const auto j = nlohmann::json::parse(head);
  Accepted a;
  a.model = Gpt(j.at("model").get<ModelConfig>());
  copy_weights(parse_safetensors(weight_bytes, "rank 0's grown weights"), a.model, "rank 0's grown weights");
  a.model->to(device);
  a.optimizer = parse_safetensors(optimizer_bytes, "rank 0's optimizer state");
  for (auto& [name, t] : a.optimizer) t = t.to(device);
  a.rules = j.at("rules");
  return a;
}

}  // namespace

TrainSummary train(const TrainRequest& req) {
  ModelConfig mcfg = req.model;
  DataConfig dcfg = req.data;
  TrainConfig tcfg = req.train;
  LocalistConfig lcfg = req.localist;
  RecruitConfig rcfg = req.recruit;
  int64_t start_step = 0;
  std::string ckpt_dir = (fs::path(req.run_dir) / "checkpoint").string();
  CheckpointMeta resumed;
  if (req.resume) {
    resumed = read_checkpoint_meta(find_checkpoint_dir(req.run_dir));
    mcfg = resumed.model;
    dcfg = resumed.data;
    tcfg = resumed.train;
    lcfg = resumed.localist;
    rcfg = resumed.recruit;
    start_step = resumed.step;
    if (req.max_steps_override > 0) tcfg.max_steps = req.max_steps_override;
  }
  CheckpointMeta base;  // --init-from: its shape and tokenizer
  if (!req.init_from.empty()) {
    if (req.resume) throw ConfigError("--init-from starts a new run; it cannot be combined with --resume");
    base = read_checkpoint_meta(find_checkpoint_dir(req.init_from));
    mcfg = base.model;
  }
  dcfg.validate();
  tcfg.validate();
  lcfg.validate();
  rcfg.validate();
  if (rcfg.enabled) {
    if (lcfg.blocks != "vocab")
      throw ConfigError("--recruit grows token classes: it needs --blocks vocab (now " + lcfg.blocks + ")");
    if (lcfg.lambda <= 0 || !lcfg.logit_bias)
      throw ConfigError("--recruit needs the dial's logit bias on (--lambda > 0): without it a "
                        "block changes nothing the model computes, so no candidate could pay");
    if (lcfg.anchors != "auto" && lcfg.anchors != "first")
      throw ConfigError("--recruit chooses each new block's anchors itself: use --anchors auto "
                        "(its choices) or first (first of each run), not " + lcfg.anchors);
    if (rcfg.start < lcfg.lambda_ramp)
      throw ConfigError("--recruit-start " + std::to_string(rcfg.start) + " comes before the end of "
                        "--lambda-ramp " + std::to_string(lcfg.lambda_ramp) + ": candidates would be "
                        "scored under a dial that is not yet on");
    if (lcfg.rules.is_null() && lcfg.rules_file.empty())
      lcfg.rules = nlohmann::json{{"blocks", nlohmann::json::array()}};  // one block, "other"
  }
  {  // fail on an impossible model before spending time on data; vocab comes later
    ModelConfig probe = mcfg;
    probe.vocab_size = 1;
    probe.validate();
  }
  set_threads(tcfg.threads);
  std::optional<DistributedEnv> env;  // data-parallel: rank 0 writes, every rank trains
  if (req.distributed) env = DistributedEnv::from_environment();
  const torch::Device device = [&] {
    const auto d = resolve_device(tcfg.device);  // distributed on GPUs: one per process
    return env && d.is_cuda() ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env->local_rank)) : d;
  }();
  std::unique_ptr<Distributed> dist;
  if (env) dist = std::make_unique<Distributed>(*env, device);
  const bool root = !dist || dist->is_root();
  const int world = dist ? dist->world_size() : 1, rank = dist ? dist->rank() : 0;

  std::error_code ec;
  fs::create_directories(req.run_dir, ec);
  if (ec) throw PathError("cannot create run directory '" + req.run_dir + "'");
  const std::string metrics_path = root ? (fs::path(req.run_dir) / "metrics.jsonl").string() : "";
  const std::string token_cache = (fs::path(req.run_dir) / "tokens").string();
  const nlohmann::json* given_tokenizer = req.resume ? &resumed.tokenizer
                                          : !req.init_from.empty() ? &base.tokenizer : nullptr;
  // Distributed: rank 0 builds the tokenizer and the token cache; the others reuse both.
  auto rd = [&] {
    if (root) {
      auto r = prepare_run_data(dcfg, token_cache, given_tokenizer);
      if (dist) dist->share("tokenizer", r.tokenizer->to_json().dump());
      return r;
    }
    const auto shared = nlohmann::json::parse(dist->share("tokenizer", ""));
    return prepare_run_data(dcfg, token_cache, &shared);
  }();
  mcfg.vocab_size = rd.tokenizer->vocab_size();
  mcfg.validate();
  if (rd.train.size() < mcfg.block_size + 1)
    throw DataError("train split has " + std::to_string(rd.train.size()) +
                    " tokens, fewer than block_size + 1 = " + std::to_string(mcfg.block_size + 1) +
                    "; use a smaller --block-size or more data");
  if (rd.valid.size() < 2)
    throw DataError("valid split has " + std::to_string(rd.valid.size()) + " token" +
                    (rd.valid.size() == 1 ? "" : "s") + "; at least 2 are needed to score one prediction");

  // The rules go into the checkpoint: read the file once (its errors name lines), and choose
  // info:N anchors from the training data now, so evaluation and explain reuse them.
  rules_of(lcfg, *rd.tokenizer, &lcfg.rules);
  if (!req.resume && lcfg.anchors.rfind("info:", 0) == 0)
    choose_info_anchors(lcfg, rd, mcfg.block_size, root ? req.out : nullptr, metrics_path);
  auto blocks = BlockMap::from_config(lcfg, *rd.tokenizer);  // replaced when a block is recruited
  const Dial full_dial = Dial::from_config(lcfg);  // lambda once any ramp is over
  const LocalistEval localist_eval{&blocks, full_dial, nullptr};
  const bool att_penalty = lcfg.lambda * lcfg.alpha_att > 0;
  const bool weight_prox = lcfg.lambda * lcfg.alpha_w > 0;
  if (weight_prox) unit_groups(mcfg.n_embd, lcfg.unit_groups);  // validates K against d_model
  if (!tcfg.train_only.empty() && (weight_prox || rcfg.enabled))
    throw ConfigError("--train-only freezes parameters: it cannot be combined with --alpha-w (whose proximal "
                      "step moves W_Q/W_K) or --recruit (which grows the model)");
  int64_t summary_trainable = -1;  // -1: every parameter trains

  torch::manual_seed(tcfg.seed);
  Gpt model(mcfg);
  model->to(device);
  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& p : model->named_parameters()) named.emplace_back(p.key(), p.value());
  if (!tcfg.train_only.empty()) {  // the rest is frozen: no gradient, no optimizer state
    const std::regex keep(tcfg.train_only);
    std::vector<std::pair<std::string, torch::Tensor>> trained;
    for (auto& [name, p] : named) {
      const bool t = std::regex_search(name, keep);
      p.set_requires_grad(t);
      if (t) trained.emplace_back(name, p);
    }
    if (trained.empty()) throw ConfigError("--train-only '" + tcfg.train_only + "' matches no parameter");
    named = trained;
    summary_trainable = 0;
    for (const auto& [name, p] : named) summary_trainable += p.numel();
  }
  AdamW opt(named, {tcfg.lr, tcfg.beta1, tcfg.beta2, 1e-8, tcfg.weight_decay});
  if (req.resume) {
    const auto dir = find_checkpoint_dir(req.run_dir);
    load_weights(dir, model);
    opt.load_state(load_optimizer_state(dir));
    MetricsLog(metrics_path).truncate_after(start_step);
  } else if (!req.init_from.empty()) {
    load_weights(find_checkpoint_dir(req.init_from), model);
  }
  if (dist) dist->broadcast(model->parameters());  // every rank starts from rank 0's weights
  MetricsLog metrics(metrics_path);

  TrainSummary summary;
  summary.params = model->num_params();
  summary.trainable = summary_trainable < 0 ? summary.params : summary_trainable;
  summary.device = describe_device(device);
  summary.world_size = world;
  const double peak = tcfg.peak_flops > 0 ? tcfg.peak_flops : peak_flops_for(device);
  const int64_t tokens_per_step = tcfg.tokens_per_step(mcfg) * world;  // all ranks together
  std::ostream* out = root ? req.out : nullptr;
  if (out)
    *out << "localist train: " << format_count(summary.params) << " parameters, "
         << mcfg.n_layer << " layers, d=" << mcfg.n_embd << ", " << mcfg.n_head
         << " heads, T=" << mcfg.block_size << ", vocab " << mcfg.vocab_size << " ("
         << rd.tokenizer->kind() << ") on " << summary.device << "\n"
         << "data: " << rd.description << " | train " << format_count(rd.train.size())
         << " tokens, valid " << format_count(rd.valid.size()) << "\n"
         << (start_step ? "resuming at step " + std::to_string(start_step) + "\n" : "")
         << (dist ? "distributed: " + std::to_string(world) + " processes over c10d (" + dist->backend() +
                        "), batch " + std::to_string(tcfg.batch_size) + " per rank, " +
                        std::to_string(tcfg.batch_size * world) + " in all\n" : "")
         << (mcfg.causal ? "" : "LEAKING: --no-causal-mask, every position sees the token it "
                                "predicts; validation numbers are not next-token prediction\n");

  CheckpointMeta meta{mcfg, dcfg, tcfg, lcfg, rd.tokenizer->to_json(), start_step, resumed.metrics, rcfg};
  const std::string audit_path = (fs::path(req.run_dir) / "recruit.jsonl").string();
  Recruiter recruiter(rcfg, root ? audit_path : "", mcfg.vocab_size,
                      rd.train.size(), start_step);
  if (rcfg.enabled && out)
    *out << "recruit: from " << blocks.describe() << ", a decision every " << rcfg.interval
         << " steps from step " << rcfg.start << ", theta " << rcfg.theta << " nats/token, p_max "
         << recruiter.p_max() << " (" << recruiter.accepted() << " recruited so far); audit log "
         << audit_path << "\n";
  const int64_t end_step = req.stop_at > 0 ? std::min(req.stop_at, tcfg.max_steps) : tcfg.max_steps;
  auto params = model->parameters();
  std::unique_ptr<GradientSync> sync;  // distributed: gradients averaged as backward runs
  if (dist) sync = std::make_unique<GradientSync>(*dist, params);
  const bool skip_nonfinite = tcfg.on_nonfinite == "skip";
  // stop mode: a non-finite step is noticed at the next log line or save (no per-step sync);
  // nothing non-finite is ever saved, so the last checkpoint stays the last good one
  torch::Tensor all_finite = torch::ones({}, torch::TensorOptions().dtype(torch::kBool).device(device));
  int64_t skipped_in_a_row = 0;
  const auto require_finite = [&](int64_t step) {
    if (!all_finite.item<bool>())
      throw ConfigError("a NaN or infinite loss or gradient appeared at or before step " + std::to_string(step) +
                        " (training diverged: lower --lr or raise --warmup; --on-nonfinite skip drops single bad steps); "
                        "nothing was saved after it, the last good checkpoint is untouched");
  };
  std::vector<std::pair<int64_t, torch::Tensor>> pending;  // (step, loss) on device until a log line
  Stopwatch total, interval;
  int64_t interval_steps = 0;
  double paused = 0;  // seconds of this interval spent on recruitment decisions
  model->train();

  auto evaluate_and_save = [&](int64_t step) {
    require_finite(step);
    summary.valid = evaluate(model, rd.valid, tcfg.batch_size, device, tcfg.eval_tokens, nullptr,
                             localist_eval);
    check_finite(summary.valid.nll, step, "validation loss");
    metrics.append(eval_record(step, "valid", summary.valid));
    meta.step = step;
    meta.metrics = eval_record(step, "valid", summary.valid);
    if (root) save_checkpoint(ckpt_dir, meta, model, &opt);
    if (out) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "eval  step %lld | valid loss %.4f | ppl %.3f | acc %.2f%% | saved %s\n",
                    static_cast<long long>(step), summary.valid.nll, summary.valid.perplexity,
                    100 * summary.valid.accuracy, ckpt_dir.c_str());
      *out << buf << std::flush;
    }
  };

  for (int64_t step = start_step; step < end_step; ++step) {
    const double lr = lr_at(step, tcfg.lr, tcfg.min_lr, tcfg.warmup_steps, tcfg.max_steps);
    opt.set_lr(lr);
    opt.zero_grad();
    torch::manual_seed(tcfg.seed * 1000003ULL + static_cast<uint64_t>(step));  // dropout
    torch::Tensor step_loss = torch::zeros({}, torch::TensorOptions().device(device));
    torch::Tensor step_ratt = torch::zeros({}, torch::TensorOptions().device(device));
    const double lambda = lambda_at_step(lcfg, step);  // the ramp, if any
    Dial dial = full_dial;
    dial.lambda = lcfg.logit_bias ? lambda : 0.0;
    const auto layer_lambda = Dial{lambda, lcfg.kappa, lcfg.lambda_layer_power}.layer_lambdas(mcfg.n_layer);
    const LocalistObjective objective{&blocks, dial, layer_lambda, att_penalty ? lcfg.alpha_att : 0.0};
    for (int64_t micro = 0; micro < tcfg.grad_accum; ++micro) {
      if (sync && micro + 1 == tcfg.grad_accum) sync->arm();  // all-reduce during the last backward
      // Distributed: every rank draws the global batch and takes its own rows, so the ranks
      // together see exactly what one process with batch_size * world would.
      auto b = data::random_batch(rd.train, tcfg.batch_size * world, mcfg.block_size, tcfg.seed, step, micro);
      if (dist) b = {b.x.narrow(0, rank * tcfg.batch_size, tcfg.batch_size),
                     b.y.narrow(0, rank * tcfg.batch_size, tcfg.batch_size)};
      auto x = b.x.to(device, /*non_blocking=*/true), y = b.y.to(device, true);
      // The dial acts in training too (DESIGN.md §1.2): the logit bias and the penalty.
      auto l = localist_loss(model, x, y, objective, b.x);
      const double scale = 1.0 / static_cast<double>(tcfg.grad_accum);
      auto total = l.total() * scale;
      if (std::count(req.poison_gradient_steps.begin(), req.poison_gradient_steps.end(), step))
        total = total * std::numeric_limits<double>::quiet_NaN();
      total.backward();
      step_loss += l.ce.detach() * scale;
      if (l.r_att.defined()) step_ratt += l.r_att.detach() * scale;
    }
    if (dist) {  // the global batch's gradient and loss, identical on every rank from here on
      sync->finish();
      step_loss = dist->average(step_loss);
      if (att_penalty) step_ratt = dist->average(step_ratt);
    }
    const auto grad_norm = gradient_norm(params);  // NaN/Inf iff some gradient is
    const auto finite = torch::isfinite(grad_norm) & torch::isfinite(step_loss);
    if (skip_nonfinite && !finite.item<bool>()) {  // one sync per step, only in this mode
      ++summary.skipped;
      const double bad_loss = step_loss.item<double>();
      metrics.append({{"type", "skip"}, {"step", step + 1}, {"reason", "NaN or infinite loss or gradient"},
                      {"loss", std::isfinite(bad_loss) ? nlohmann::json(bad_loss) : nlohmann::json("non-finite")}});
      if (out) *out << "step " << step + 1 << ": NaN or infinite loss or gradient, update skipped\n" << std::flush;
      if (++skipped_in_a_row >= kMaxSkippedSteps)
        throw ConfigError(std::to_string(kMaxSkippedSteps) + " steps in a row had a NaN or infinite loss or "
                          "gradient (up to step " + std::to_string(step + 1) + "); training diverged: lower "
                          "--lr or raise --warmup. The last checkpoint is untouched");
      opt.zero_grad();
    } else {
      skipped_in_a_row = 0;
      if (!skip_nonfinite) all_finite = all_finite & finite;
      if (tcfg.grad_clip > 0) clip_gradients(params, grad_norm, tcfg.grad_clip);
      opt.step();
      // effect 3: group soft-thresholding with step lr * lambda_l * alpha_W (exact zeros)
      if (weight_prox) {
        std::vector<double> steps;
        for (double l : layer_lambda) steps.push_back(lr * l * lcfg.alpha_w);
        weight_group_prox(model, lcfg.unit_groups, steps);
      }
      pending.emplace_back(step + 1, step_loss);
      ++interval_steps;
    }

    const int64_t done = step + 1;
    const bool last = done == end_step;
    if ((done % tcfg.log_interval == 0 || last) && !pending.empty()) {
      const size_t first = summary.losses.size();
      for (auto& [s, l] : pending) summary.losses.push_back(l.item<double>());  // one sync per log line
      const double loss = summary.losses.back();
      check_finite(loss, done, "training loss");
      if (!skip_nonfinite) require_finite(done);
      const double dt = interval.seconds() - paused;
      const double tok_s = interval_steps * tokens_per_step / dt;
      const double mfu = peak > 0 ? tok_s * model->flops_per_token() / peak : 0;
      const double eta = (tcfg.max_steps - done) * dt / interval_steps;
      nlohmann::json rec = {{"type", "train"}, {"step", pending.back().first}, {"loss", loss}, {"lr", lr}, {"lambda", lambda},
                            {"tokens_per_s", tok_s}, {"ms_per_step", 1000 * dt / interval_steps},
                            {"elapsed_s", total.seconds()}};
      if (peak > 0) rec["mfu"] = mfu;
      if (att_penalty) rec["r_att"] = step_ratt.item<double>();
      if (weight_prox) {
        rec["r_w"] = weight_group_penalty(model, lcfg.unit_groups, layer_lambda, lcfg.alpha_w);
        rec["zero_weight_groups"] = (weight_group_norms(model, lcfg.unit_groups) == 0).sum().item<int64_t>();
      }
      // Every step's loss is in the log; the interval's last carries the rates.
      for (size_t i = 0; i + 1 < pending.size(); ++i)
        metrics.append({{"type", "train"}, {"step", pending[i].first}, {"loss", summary.losses[first + i]}});
      pending.clear();
      metrics.append(rec);
      if (out) {
        char buf[200];
        int n = std::snprintf(buf, sizeof buf,
                              "step %5lld/%lld | loss %.4f | lr %.2e | %7.1f ms/step | %s tok/s | ETA %s",
                              static_cast<long long>(done), static_cast<long long>(tcfg.max_steps),
                              loss, lr, 1000 * dt / interval_steps, format_count(tok_s).c_str(),
                              format_duration(eta).c_str());
        if (peak > 0) n += std::snprintf(buf + n, sizeof buf - n, " | mfu %.1f%%", 100 * mfu);
        if (att_penalty) std::snprintf(buf + n, sizeof buf - n, " | R_att %.4f", step_ratt.item<double>());
        *out << buf << "\n" << std::flush;
      }
      interval.reset();
      interval_steps = 0;
      paused = 0;
    }
    if (recruiter.due(done)) {
      Stopwatch decision;
      std::optional<Accepted> grown;
      if (root) grown = recruiter.decide(done, model, opt, lcfg, objective, lr, rd, tcfg, out);
      if (dist) grown = share_decision(*dist, done, std::move(grown), device);
      if (grown) {  // continue with the new block and the grown model, optimizer extended
        model = grown->model;
        mcfg = model->cfg;
        named.clear();
        for (const auto& p : model->named_parameters()) named.emplace_back(p.key(), p.value());
        opt = AdamW(named, {tcfg.lr, tcfg.beta1, tcfg.beta2, 1e-8, tcfg.weight_decay});
        opt.load_state(grown->optimizer);
        params = model->parameters();
        if (dist) sync = std::make_unique<GradientSync>(*dist, params);
        lcfg.rules = grown->rules;
        blocks = BlockMap::from_config(lcfg, *rd.tokenizer);
        meta.model = mcfg;
        meta.localist = lcfg;
      }
      paused += decision.seconds();  // decision time is not training time
    }
    const bool ckpt_due = tcfg.ckpt_interval > 0 && done % tcfg.ckpt_interval == 0;
    if (done % tcfg.eval_interval == 0 || last) {
      evaluate_and_save(done);
      interval.reset();  // evaluation time is not training time
      paused = 0;
    } else if (ckpt_due) {
      require_finite(done);  // never save a NaN model
      meta.step = done;
      if (root) save_checkpoint(ckpt_dir, meta, model, &opt);
    }
  }
  if (dist) {  // the ranks must end where they started: together, in weights and in rules
    const uint64_t h = data::fnv1a64(lcfg.rules.dump());
    auto state = model->parameters();
    state.push_back(torch::tensor({static_cast<double>(h & 0xffffffffu), static_cast<double>(h >> 32)}));
    if (!dist->identical(state))
      throw InternalError("distributed training: the ranks' weights or rules differ at the end");
    if (out) *out << "distributed: all " << world << " ranks hold identical weights and rules\n";
  }
  summary.steps = std::max(start_step, end_step);
  summary.recruited = recruiter.accepted();
  summary.params = model->num_params();
  summary.seconds = total.seconds();
  const int64_t run_steps = end_step - start_step;
  summary.tokens_per_second = run_steps > 0 ? run_steps * tokens_per_step / summary.seconds : 0;
  return summary;
}

}  // namespace localist
