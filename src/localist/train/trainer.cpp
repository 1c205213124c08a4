#include "localist/train/trainer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>

#include "localist/blocks/block_map.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/core/progress.h"
#include "localist/data/batcher.h"
#include "localist/data/hash.h"
#include "localist/loss/cross_group_prox.h"
#include "localist/loss/weight_group_prox.h"
#include "localist/model/block_units.h"
#include "localist/model/dial.h"
#include "localist/train/distributed.h"
#include "localist/train/gradient_sync.h"
#include "localist/train/growth_share.h"
#include "localist/train/lambda_schedule.h"
#include "localist/train/lr_schedule.h"
#include "localist/train/step.h"
#include "localist/train/train_log.h"
#include "localist/train/train_setup.h"

namespace fs = std::filesystem;

namespace localist {
namespace {

void check_finite(double loss, int64_t step, const char* what) {
  if (!std::isfinite(loss))
    throw ConfigError(std::string(what) + " became " + std::to_string(loss) + " at step " +
                      std::to_string(step) +
                      "; training diverged (lower " + setting("lr") + " or raise " + setting("warmup") + "; " + setting("on_nonfinite") + " skip drops "
                      "single bad steps); the last good checkpoint is untouched");
}

// Where the run computes: the device, and the process group when data-parallel (one process
// per device, from the torchrun environment).
struct Placement {
  torch::Device device{torch::kCPU};
  std::unique_ptr<Distributed> dist;
  bool root = true;
  int world = 1, rank = 0;
};

Placement place(const TrainRequest& req, const TrainConfig& t) {
  Placement p;
  std::optional<DistributedEnv> env;
  if (req.distributed) env = DistributedEnv::from_environment();
  const auto d = resolve_device(t.device);
  p.device = env && d.is_cuda() ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env->local_rank)) : d;
  if (!env) return p;
  p.dist = std::make_unique<Distributed>(*env, p.device);
  p.root = p.dist->is_root();
  p.world = p.dist->world_size();
  p.rank = p.dist->rank();
  return p;
}

std::string make_run_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw PathError("cannot create run directory '" + dir + "'");
  return dir;
}

// One run of optimizer steps, from set-up to the final check; train() below drives it.
class Trainer {
 public:
  explicit Trainer(const TrainRequest& req);
  TrainSummary run();

 private:
  // What a step trains with: its learning rate, and the dial's lambda (the ramp, if any) with
  // the objective it gives (the bias and the penalty). Made once per step.
  struct StepPlan {
    double lr, lambda;
    LocalistObjective objective;
  };
  StepPlan plan(int64_t step) const;
  void step(int64_t step, const StepPlan& p);  // one optimizer step (or a skipped one)
  void skip(int64_t step, const torch::Tensor& loss);
  void log_interval(int64_t done, const StepPlan& p);
  void grow(int64_t done, const StepPlan& p);  // a decision of the growth hook, if due
  void evaluate_and_save(int64_t step);
  void save(int64_t step);
  void require_finite(int64_t step);
  void check_ranks_agree();
  void reset_optimizer(const TensorMap* state);
  void enter_phase(int64_t step);  // train --phase: the phase of `step` becomes data_.train

  const TrainRequest& req_;
  RunConfigs cfg_;
  Placement at_;
  std::string run_dir_, checkpoint_dir_, metrics_path_;
  std::ostream* out_;                    // rank 0's progress lines
  RunData data_;
  BlockMap blocks_;                      // replaced when a block is recruited
  Dial full_dial_;                       // lambda once any ramp is over
  bool att_penalty_, weight_prox_;
  Gpt model_{nullptr};
  std::vector<torch::Tensor> params_;
  std::unique_ptr<AdamW> opt_;
  std::unique_ptr<GradientSync> sync_;   // distributed: gradients averaged as backward runs
  std::unique_ptr<GrowthHook> growth_;
  CheckpointMeta meta_;
  MetricsLog metrics_;
  TrainSummary summary_;
  // stop mode: a non-finite step is noticed at the next log line or save (no per-step sync);
  // nothing non-finite is ever saved, so the last checkpoint stays the last good one
  torch::Tensor all_finite_;
  int64_t skipped_in_a_row_ = 0;
  std::vector<std::pair<int64_t, torch::Tensor>> pending_;  // (step, loss) on device until a log line
  torch::Tensor step_ratt_;
  Stopwatch total_, interval_;
  int64_t interval_steps_ = 0;
  int64_t phase_ = -1;  // data_.phases[phase_].tokens holds train.bin while that phase trains
  double paused_ = 0;  // seconds of this interval spent on growth decisions
  double peak_ = 0;
  int64_t tokens_per_step_ = 0;
};

Trainer::Trainer(const TrainRequest& req)
    : req_(req),
      cfg_(resolve_configs(req)),
      at_((set_threads(cfg_.train.threads), place(req, cfg_.train))),
      run_dir_(make_run_dir(req.run_dir)),
      checkpoint_dir_((fs::path(run_dir_) / "checkpoint").string()),
      metrics_path_(at_.root ? (fs::path(run_dir_) / "metrics.jsonl").string() : ""),
      out_(at_.root ? req.out : nullptr),
      data_(load_train_data(cfg_, req, at_.dist.get())),
      blocks_(BlockMap::window(1)),
      metrics_(metrics_path_) {
  cfg_.model.vocab_size = data_.tokenizer->vocab_size();
  cfg_.model.validate();
  settle_rules(cfg_, data_, !req.resume, out_, metrics_path_);
  blocks_ = BlockMap::from_config(cfg_.localist, *data_.tokenizer);
  full_dial_ = Dial::from_config(cfg_.localist);
  att_penalty_ = highest_training_lambda(cfg_.localist) * cfg_.localist.alpha_att > 0;
  weight_prox_ = StepSettings::of_run(cfg_.train, cfg_.localist).alpha_w > 0;

  auto built = build_model(cfg_, req, at_.device);
  model_ = built.model;
  wire_block_units(model_, blocks_);  // ConfigError unless the blocks are vocab blocks, one per group
  params_ = model_->parameters();
  opt_ = std::make_unique<AdamW>(built.trained, adamw_options(cfg_.train));
  if (req.resume) {
    opt_->load_state(load_optimizer_state(find_checkpoint_dir(req.run_dir)));
    MetricsLog(metrics_path_).truncate_after(cfg_.start_step);
  }
  if (at_.dist) at_.dist->broadcast(params_);  // every rank starts from rank 0's weights
  if (at_.dist) sync_ = std::make_unique<GradientSync>(*at_.dist, params_);

  summary_.params = model_->num_params();
  summary_.trainable = built.trainable;
  summary_.device = describe_device(at_.device);
  summary_.world_size = at_.world;
  peak_ = cfg_.train.peak_flops > 0 ? cfg_.train.peak_flops : peak_flops_for(at_.device);
  tokens_per_step_ = cfg_.train.tokens_per_step(cfg_.model) * at_.world;  // all ranks together
  if (out_)
    print_header(*out_, {cfg_.model, cfg_.train, summary_.params, data_.train.size(), data_.valid.size(),
                         cfg_.start_step, data_.tokenizer->kind(), summary_.device, data_.description,
                         at_.dist ? at_.dist->backend() : "", at_.world});
  meta_ = {cfg_.model, cfg_.data, cfg_.train, cfg_.localist, data_.tokenizer->to_json(),
           cfg_.start_step, cfg_.resumed.metrics, cfg_.recruit};
  if (cfg_.recruit.enabled) {
    const auto audit = at_.root ? (fs::path(run_dir_) / "recruit.jsonl").string() : "";
    growth_ = req.growth({cfg_.recruit, audit, cfg_.model.vocab_size, data_.train.size(), cfg_.start_step,
                          cfg_.model.context_length});
    if (out_) *out_ << "recruit: from " << blocks_.describe() << ", " << growth_->describe() << "\n";
  }
  const auto on_device = torch::TensorOptions().device(at_.device);
  all_finite_ = torch::ones({}, on_device.dtype(torch::kBool));
  step_ratt_ = torch::zeros({}, on_device);
}

TrainSummary Trainer::run() {
  const auto& t = cfg_.train;
  const int64_t end = req_.stop_at > 0 ? std::min(req_.stop_at, t.max_steps) : t.max_steps;
  model_->train();
  for (int64_t s = cfg_.start_step; s < end; ++s) {
    enter_phase(s);
    const auto p = plan(s);
    step(s, p);
    const int64_t done = s + 1;
    if ((done % t.log_interval == 0 || done == end) && !pending_.empty()) log_interval(done, p);
    if (growth_ && growth_->due(done)) grow(done, p);
    if (done % t.eval_interval == 0 || done == end) {
      evaluate_and_save(done);
      interval_.reset();  // evaluation time is not training time
      paused_ = 0;
    } else if (t.ckpt_interval > 0 && done % t.ckpt_interval == 0) {
      save(done);
    }
  }
  if (at_.dist) check_ranks_agree();
  summary_.steps = std::max(cfg_.start_step, end);
  summary_.recruited = growth_ ? growth_->accepted() : 0;
  summary_.params = model_->num_params();
  summary_.seconds = total_.seconds();
  const int64_t run_steps = end - cfg_.start_step;
  summary_.tokens_per_second = run_steps > 0 ? run_steps * tokens_per_step_ / summary_.seconds : 0;
  return summary_;
}

Trainer::StepPlan Trainer::plan(int64_t step) const {
  const auto& l = cfg_.localist;
  const auto& t = cfg_.train;
  const double lambda = lambda_at_step(l, step, t.seed);
  Dial dial = full_dial_;
  dial.lambda = l.logit_bias ? lambda : 0.0;
  const auto layer_lambda = Dial{lambda, l.kappa, l.lambda_layer_power}.layer_lambdas(cfg_.model.n_layer);
  return {lr_at(step, t.lr, t.min_lr, t.warmup_steps, t.max_steps), lambda,
          {&blocks_, dial, layer_lambda, att_penalty_ ? l.alpha_att : 0.0}};
}

void Trainer::step(int64_t step, const StepPlan& p) {
  const auto& t = cfg_.train;
  auto settings = StepSettings::of_run(t, cfg_.localist);
  settings.sync = sync_.get();
  const auto& poison = req_.poison_gradient_steps;
  settings.poison_gradient = std::count(poison.begin(), poison.end(), step) > 0;
  opt_->zero_grad();
  torch::manual_seed(t.seed * 1000003ULL + static_cast<uint64_t>(step));  // dropout
  // Distributed: every rank draws the global batch and takes its own rows, so the ranks
  // together see exactly what one process with batch_size * world would.
  auto losses = accumulate_gradients(model_, p.objective, [&](int64_t micro) {
    auto b = data::random_batch(data_.train, t.batch_size * at_.world, cfg_.model.context_length, t.seed, step, micro);
    if (!at_.dist) return b;
    return data::Batch{b.x.narrow(0, at_.rank * t.batch_size, t.batch_size),
                       b.y.narrow(0, at_.rank * t.batch_size, t.batch_size)};
  }, settings);
  if (at_.dist) {  // the global batch's gradient and loss, identical on every rank from here on
    sync_->finish();
    losses.ce = at_.dist->average(losses.ce);
    if (att_penalty_) losses.r_att = at_.dist->average(losses.r_att);
  }
  step_ratt_ = losses.r_att;
  const auto g = step_gradient_norm(params_, losses.ce);
  const bool skip_mode = t.on_nonfinite == "skip";
  if (skip_mode && !g.finite.item<bool>()) return skip(step, losses.ce);  // one sync per step, this mode only
  skipped_in_a_row_ = 0;
  if (!skip_mode) all_finite_ = all_finite_ & g.finite;
  apply_update(model_, *opt_, params_, g.norm, p.lr, p.objective, settings);
  pending_.emplace_back(step + 1, losses.ce);
  ++interval_steps_;
}

// Data that arrive over time: the phase's tokens are swapped into data_.train (what batches,
// recruitment's probes and its communities read), train.bin into the phase's place until it ends.
void Trainer::enter_phase(int64_t step) {
  const int64_t i = phase_at(data_.phases, step);
  if (i == phase_) return;
  if (phase_ >= 0) std::swap(data_.train, data_.phases[phase_].tokens);
  std::swap(data_.train, data_.phases[i].tokens);
  phase_ = i;
  const auto& ph = data_.phases[i];
  if (out_)
    *out_ << "phase " << i + 1 << " of " << data_.phases.size() << " from step " << step << ": " << ph.file << " ("
          << format_count(data_.train.size()) << " tokens, " << ph.steps << " steps"
          << (i + 1 == static_cast<int64_t>(data_.phases.size()) ? ", then until the end" : "") << ")\n";
  metrics_.append({{"type", "phase"}, {"step", step}, {"phase", i + 1}, {"file", ph.file}, {"tokens", data_.train.size()}});
}

void Trainer::skip(int64_t step, const torch::Tensor& loss) {
  ++summary_.skipped;
  const double bad = loss.item<double>();
  metrics_.append({{"type", "skip"}, {"step", step + 1}, {"reason", "NaN or infinite loss or gradient"},
                   {"loss", std::isfinite(bad) ? nlohmann::json(bad) : nlohmann::json("non-finite")}});
  if (out_) *out_ << "step " << step + 1 << ": NaN or infinite loss or gradient, update skipped\n" << std::flush;
  if (++skipped_in_a_row_ >= kMaxSkippedSteps)
    throw ConfigError(std::to_string(kMaxSkippedSteps) + " steps in a row had a NaN or infinite loss or "
                      "gradient (up to step " + std::to_string(step + 1) + "); training diverged: lower " +
                      setting("lr") + " or raise " + setting("warmup") + ". The last checkpoint is untouched");
  opt_->zero_grad();
}

void Trainer::log_interval(int64_t done, const StepPlan& p) {
  const size_t first = summary_.losses.size();
  for (auto& [s, l] : pending_) summary_.losses.push_back(l.item<double>());  // one sync per log line
  IntervalFigures f;
  f.done = done;
  f.max_steps = cfg_.train.max_steps;
  f.last_step = pending_.back().first;
  f.loss = summary_.losses.back();
  check_finite(f.loss, done, "training loss");
  if (cfg_.train.on_nonfinite != "skip") require_finite(done);
  const double dt = interval_.seconds() - paused_;
  f.lr = p.lr;
  f.lambda = p.lambda;
  f.tokens_per_s = interval_steps_ * tokens_per_step_ / dt;
  f.ms_per_step = 1000 * dt / interval_steps_;
  f.eta_s = (cfg_.train.max_steps - done) * dt / interval_steps_;
  f.elapsed_s = total_.seconds();
  if (peak_ > 0) f.mfu = f.tokens_per_s * model_->flops_per_token() / peak_;
  if (att_penalty_) f.r_att = step_ratt_.item<double>();
  auto rec = progress_record(f);
  if (weight_prox_) {
    const auto& l = cfg_.localist;
    if (l.cross_groups) {
      rec["r_w"] = cross_group_penalty(model_, l.unit_groups, p.objective.layer_lambda, l.alpha_w);
      rec["zero_weight_groups"] = cross_group_norms(model_, l.unit_groups).zero_groups();
    } else {
      rec["r_w"] = weight_group_penalty(model_, l.unit_groups, p.objective.layer_lambda, l.alpha_w);
      rec["zero_weight_groups"] = (weight_group_norms(model_, l.unit_groups) == 0).sum().item<int64_t>();
    }
  }
  // Every step's loss is in the log; the interval's last carries the rates.
  for (size_t i = 0; i + 1 < pending_.size(); ++i)
    metrics_.append({{"type", "train"}, {"step", pending_[i].first}, {"loss", summary_.losses[first + i]}});
  pending_.clear();
  metrics_.append(rec);
  if (out_) *out_ << progress_line(f) << std::flush;
  interval_.reset();
  interval_steps_ = 0;
  paused_ = 0;
}

void Trainer::reset_optimizer(const TensorMap* state) {
  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& p : model_->named_parameters()) named.emplace_back(p.key(), p.value());
  opt_ = std::make_unique<AdamW>(named, adamw_options(cfg_.train));
  if (state) opt_->load_state(*state);
  params_ = model_->parameters();
  if (at_.dist) sync_ = std::make_unique<GradientSync>(*at_.dist, params_);
}

// After an accepted growth the hook decides again at once, until it declines: the next split
// is scored while the model still gains from blocks (later in training a distributed model has
// learned what a block would say, and a true block's gain shrinks below theta; measured in
// docs/recruitment.md). The hook's own cap (p_max) ends the cascade.
void Trainer::grow(int64_t done, const StepPlan& p) {
  Stopwatch decision;
  for (bool again = true; again;) {
    std::optional<Grown> grown;
    if (at_.root)
      grown = growth_->decide({done, model_, *opt_, cfg_.localist, p.objective, p.lr, data_, cfg_.train, out_});
    if (at_.dist) grown = share_growth(*at_.dist, done, std::move(grown), at_.device);
    again = grown.has_value();
    if (grown) {  // continue with the new block and the grown model, optimizer extended
      model_ = grown->model;
      cfg_.model = model_->cfg;
      reset_optimizer(&grown->optimizer);
      cfg_.localist.rules = grown->rules;
      blocks_ = BlockMap::from_config(cfg_.localist, *data_.tokenizer);  // p.objective reads it
      meta_.model = cfg_.model;
      meta_.localist = cfg_.localist;
    }
  }
  paused_ += decision.seconds();  // decision time is not training time
}

void Trainer::require_finite(int64_t step) {
  if (!all_finite_.item<bool>())
    throw ConfigError("a NaN or infinite loss or gradient appeared at or before step " + std::to_string(step) +
                      " (training diverged: lower " + setting("lr") + " or raise " + setting("warmup") + "; " + setting("on_nonfinite") + " skip drops single bad steps); "
                      "nothing was saved after it, the last good checkpoint is untouched");
}

void Trainer::save(int64_t step) {
  require_finite(step);  // never save a NaN model
  meta_.step = step;
  if (!at_.root) return;
  const auto state = opt_->state();
  save_checkpoint(checkpoint_dir_, meta_, model_, &state);
}

void Trainer::evaluate_and_save(int64_t step) {
  require_finite(step);
  summary_.valid = evaluate(model_, data_.valid, cfg_.train.batch_size, at_.device, cfg_.train.eval_tokens,
                            nullptr, {&blocks_, full_dial_, nullptr});
  check_finite(summary_.valid.nll, step, "validation loss");
  metrics_.append(eval_record(step, "valid", summary_.valid));
  meta_.metrics = eval_record(step, "valid", summary_.valid);
  save(step);
  if (out_) *out_ << eval_line(step, summary_.valid, checkpoint_dir_) << std::flush;
}

// The ranks must end where they started: together, in weights and in rules.
void Trainer::check_ranks_agree() {
  const uint64_t h = data::fnv1a64(cfg_.localist.rules.dump());
  auto state = model_->parameters();
  state.push_back(torch::tensor({static_cast<double>(h & 0xffffffffu), static_cast<double>(h >> 32)}));
  if (!at_.dist->identical(state))
    throw InternalError("distributed training: the ranks' weights or rules differ at the end");
  if (out_) *out_ << "distributed: all " << at_.world << " ranks hold identical weights and rules\n";
}

}  // namespace

TrainSummary train(const TrainRequest& req) {
  Trainer trainer(req);
  return trainer.run();
}

}  // namespace localist
