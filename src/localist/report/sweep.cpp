#include "localist/report/sweep.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "localist/core/atomic_file.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/core/progress.h"
#include "localist/metrics/checkpoint_eval.h"
#include "localist/train/trainer.h"

namespace fs = std::filesystem;

namespace localist {

namespace {

double parse_number(const std::string& s, const std::string& spec) {
  char* end = nullptr;
  const double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0])) || end != s.c_str() + s.size())
    throw ConfigError("lambdas = '" + spec + "': '" + s + "' is not a number");
  return v;
}

std::vector<std::string> split_on(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string p; std::getline(in, p, sep);) parts.push_back(p);
  if (!s.empty() && s.back() == sep) parts.push_back("");
  return parts;
}

bool same_lambda(double a, double b) { return std::abs(a - b) < 1e-9; }

// "/train/max_steps" -> "train.max_steps"
std::string field_name(const std::string& pointer) {
  std::string s = pointer.empty() ? pointer : pointer.substr(1);
  for (char& c : s)
    if (c == '/') c = '.';
  return s;
}

// Writes DIR/sweep_config.json on the first run; afterwards refuses other settings.
void check_settings(const std::string& dir, const nlohmann::json& now) {
  const auto path = (fs::path(dir) / "sweep_config.json").string();
  if (!fs::exists(path)) {
    write_text_atomically(path, now.dump(2) + "\n");
    return;
  }
  nlohmann::json stored;
  try {
    std::ifstream in(path);
    stored = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path + ": not a sweep configuration (" + e.what() + ")");
  }
  const auto patch = nlohmann::json::diff(stored, now);
  if (patch.empty()) return;
  std::string what;
  for (const auto& op : patch) {
    const nlohmann::json::json_pointer at(op.at("path").get<std::string>());
    what += (what.empty() ? "" : "; ") + field_name(op.at("path").get<std::string>()) + " was " +
            (stored.contains(at) ? stored.at(at).dump() : "absent") + ", now " +
            (now.contains(at) ? now.at(at).dump() : "absent");
  }
  throw ConfigError("sweep directory '" + dir + "' was made with other settings (" + path +
                    "): " + what + "; use the same settings or another " + setting("out"));
}

// The rows finished earlier; a line cut short by an interruption is ignored.
std::vector<SweepRow> read_rows(const std::string& path) {
  std::vector<SweepRow> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    try {
      rows.push_back(nlohmann::json::parse(line).get<SweepRow>());
    } catch (const nlohmann::json::exception&) {
    }
  }
  return rows;
}

std::string describe_data(const DataConfig& d) {
  if (d.source == "synthetic")
    return "synthetic corpus (" + std::to_string(d.synth_blocks) + (d.synth_interleave ? " interleaved" : "") +
           (d.synth_recall > 0 ? " recall " + std::to_string(d.synth_recall).substr(0, 4) : "") + " blocks, " +
           format_count(static_cast<double>(d.synth_tokens)) + " train tokens, seed " +
           std::to_string(d.synth_seed) + ")";
  std::string s = d.source.empty() ? "split files" : d.source;
  for (const auto& f : {d.train_file, d.valid_file, d.test_file})
    if (!f.empty()) s += " " + f;
  return s + " (tokenizer " + d.tokenizer + ")";
}

std::string describe_localist(const LocalistConfig& l) {
  return "blocks " + l.blocks + ", kappa " + nlohmann::json(l)["kappa"].dump() +
         (l.logit_bias ? "" : ", logit bias off") +
         (l.alpha_att > 0 ? ", alpha_att " + format_lambda(l.alpha_att) : "") +
         (l.alpha_w > 0 ? ", alpha_w " + format_lambda(l.alpha_w) : "");
}

SweepRow row_of(double lambda, const CheckpointEval& ev, const std::string& run) {
  SweepRow r;
  r.lambda = lambda;
  r.entropy_bits = ev.attention.entropy_bits;
  r.max_entropy_bits = ev.attention.max_entropy_bits;
  r.pointer_fidelity = ev.attention.pointer_fidelity;
  r.block_fidelity = ev.attention.block_fidelity;
  r.perplexity = ev.lm.perplexity;
  r.accuracy = ev.lm.accuracy;
  r.tokens = ev.lm.tokens;
  r.weight_group_sparsity = ev.weight_group_sparsity();
  r.run = run;
  return r;
}

// Trains (or resumes, or reuses) the run for one lambda; returns its directory.
std::string train_for(const SweepConfig& cfg, double lambda, const std::string& dir,
                      std::ostream* out) {
  TrainRequest req;
  req.model = cfg.model;
  req.data = cfg.data;
  req.train = cfg.train;
  req.localist = cfg.localist;
  req.localist.lambda = lambda;
  req.run_dir = (fs::path(dir) / "runs" / ("lambda_" + format_lambda(lambda))).string();
  req.out = out;
  const auto meta_path = fs::path(req.run_dir) / "checkpoint" / "checkpoint.json";
  if (fs::exists(meta_path)) {
    const auto meta = read_checkpoint_meta(meta_path.parent_path().string());
    if (meta.step >= cfg.train.max_steps) return req.run_dir;  // finished before
    req.resume = true;  // interrupted: continue from its checkpoint
  }
  train(req);
  return req.run_dir;
}

}  // namespace

std::vector<double> parse_value_list(const std::string& spec, const std::string& name, double lo, double hi) {
  std::vector<double> out;
  const auto range = split_on(spec, ':');
  if (range.size() == 3) {
    const double start = parse_number(range[0], spec), stop = parse_number(range[1], spec);
    const double step = std::abs(parse_number(range[2], spec));
    if (step == 0) throw ConfigError(name + " = '" + spec + "': the step must not be 0");
    const auto n = static_cast<int64_t>(std::floor(std::abs(stop - start) / step + 1e-9));
    const double dir = stop >= start ? 1 : -1;
    for (int64_t i = 0; i <= n; ++i)  // rounded to 1e-9 so that 1 - 3*0.1 reads 0.7
      out.push_back(std::round((start + dir * i * step) * 1e9) / 1e9);
  } else if (range.size() == 1) {
    for (const auto& p : split_on(spec, ',')) out.push_back(parse_number(p, spec));
  } else {
    throw ConfigError(name + " = '" + spec + "': expected start:stop:step or a comma list");
  }
  const auto plain = [](double v) { std::ostringstream o; o << v; return o.str(); };
  const std::string interval = "[" + plain(lo) + ", " + (std::isinf(hi) ? "inf)" : plain(hi) + "]");
  for (double v : out)
    if (!(v >= lo && v <= hi) || std::isinf(v))
      throw ConfigError(name + " = '" + spec + "': " + format_lambda(v) + " is outside " + interval);
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (same_lambda(out[i], out[j]))
        throw ConfigError(name + " = '" + spec + "': " + format_lambda(out[i]) + " twice");
  return out;
}

std::vector<double> parse_lambdas(const std::string& spec) { return parse_value_list(spec, "lambdas", 0, 1); }

nlohmann::json sweep_settings(const SweepConfig& c) {
  nlohmann::json s = {{"protocol", c.protocol}, {"split", c.split}, {"max_tokens", c.max_tokens}};
  nlohmann::json l = c.localist;
  l.erase("lambda");  // the swept value
  s["localist"] = l;
  if (c.protocol == "inference") {
    s["checkpoint"] = fs::weakly_canonical(c.checkpoint).string();
    if (c.other_data) s["data"] = c.data;
  } else {
    s["model"] = c.model;
    s["data"] = c.data;
    nlohmann::json t = c.train;
    for (const char* f : {"device", "threads", "log_interval", "peak_flops"}) t.erase(f);
    s["train"] = t;
  }
  return s;
}

namespace {

void check_sweep_config(const SweepConfig& cfg) {
  if (cfg.protocol != "inference" && cfg.protocol != "retrain")
    throw ConfigError("protocol = '" + cfg.protocol + "': expected inference or retrain");
  if (cfg.lambdas.empty()) throw ConfigError("lambdas: no value to sweep");
  if (cfg.split != "valid" && cfg.split != "test")
    throw ConfigError("split = '" + cfg.split + "': expected valid or test");
  if (cfg.protocol == "inference" && cfg.checkpoint.empty())
    throw ConfigError("protocol inference needs " + setting("checkpoint") + " RUN");
  if (cfg.protocol == "retrain" && !cfg.checkpoint.empty())
    throw ConfigError("protocol retrain trains its own runs: " + setting("checkpoint") + " is for inference");
  cfg.localist.validate();
}

// The table's header: what was swept, on what, how; LEAKING first when the model is not causal.
// Inference: the checkpoint's step joins the settings (a checkpoint trained further is another sweep).
std::string sweep_header(const SweepConfig& cfg, nlohmann::json& settings) {
  const std::string split = "split " + cfg.split +
      (cfg.max_tokens > 0 ? " (first " + format_count(static_cast<double>(cfg.max_tokens)) +
                                " predictions)" : "");
  std::string header;
  bool causal = cfg.model.causal;
  if (cfg.protocol == "inference") {
    const auto meta = read_checkpoint_meta(find_checkpoint_dir(cfg.checkpoint));
    settings["checkpoint_step"] = meta.step;
    causal = meta.model.causal;
    header = "Sweep, protocol inference (λ at evaluation only): checkpoint " + cfg.checkpoint +
             " (step " + std::to_string(meta.step) + "), " + describe_localist(cfg.localist) + "; " +
             split + "; data: " + describe_data(cfg.other_data ? cfg.data : meta.data) + ".";
  } else {
    const auto& m = cfg.model;
    const auto& t = cfg.train;
    header = "Sweep, protocol retrain (one model trained per λ, evaluated at its own λ): " +
        std::to_string(m.n_layer) + " layers, d=" + std::to_string(m.n_embd) + ", " +
        std::to_string(m.n_head) + " heads, T=" + std::to_string(m.context_length) + ", " +
        std::to_string(t.max_steps) + " steps of " +
        std::to_string(t.batch_size * t.grad_accum) + " sequences, lr " + format_lambda(t.lr) +
        ", seed " + std::to_string(t.seed) + ", " + describe_localist(cfg.localist) + "; " +
        split + "; data: " + describe_data(cfg.data) + ".";
  }
  if (!causal)  // say it first, where nobody can miss it
    header = "LEAKING (--no-causal-mask: every position sees the token it predicts; not "
             "next-token prediction). " + header;
  return header;
}

void print_progress(std::ostream& out, int64_t i, int64_t n, double lambda, double elapsed, const std::string& eta) {
  char line[256];
  std::snprintf(line, sizeof line, "run %lld/%lld lambda %s | elapsed %s | ETA %s\n",
                static_cast<long long>(i + 1), static_cast<long long>(n), format_lambda(lambda).c_str(),
                format_duration(elapsed).c_str(), eta.c_str());
  out << line << std::flush;
}

// One row: inference evaluates the one checkpoint (loaded once, on the first row that needs it)
// at lambda; retrain trains (or resumes, or reuses) the run for lambda and evaluates it at its own.
struct RowSource {
  const SweepConfig& cfg;
  const std::string& dir;
  torch::Device device;
  std::ostream* out;
  std::optional<LoadedModel> lm;
  std::optional<RunData> run_data;

  SweepRow at(double lambda) {
    if (cfg.protocol == "inference") {
      if (!lm) {
        lm.emplace(load_model(cfg.checkpoint, device));
        run_data.emplace(checkpoint_run_data(cfg.checkpoint, *lm, cfg.other_data ? cfg.data : lm->meta.data));
      }
      LocalistConfig lc = cfg.localist;
      lc.lambda = lambda;
      return row_of(lambda, evaluate_checkpoint(*lm, split_tokens(*run_data, cfg.split), lc, cfg.eval_batch_size,
                                                cfg.max_tokens, device),
                    cfg.checkpoint);
    }
    const auto run = train_for(cfg, lambda, dir, out);
    auto run_lm = load_model(run, device);
    const auto run_rd = checkpoint_run_data(run, run_lm, run_lm.meta.data);
    return row_of(lambda, evaluate_checkpoint(run_lm, split_tokens(run_rd, cfg.split), run_lm.meta.localist,
                                              cfg.eval_batch_size, cfg.max_tokens, device),
                  run);
  }
};

void write_sweep_files(const std::string& dir, const SweepOutcome& result) {
  write_text_atomically((fs::path(dir) / "sweep.md").string(), sweep_markdown(result.header, result.rows));
  write_text_atomically((fs::path(dir) / "sweep.csv").string(), sweep_csv(result.rows));
  write_text_atomically((fs::path(dir) / "sweep.json").string(),
                        sweep_json(result.settings, result.rows).dump(2) + "\n");
}

}  // namespace

SweepOutcome run_sweep(const SweepConfig& cfg, const std::string& dir, std::ostream* out) {
  check_sweep_config(cfg);
  set_threads(cfg.threads);
  const auto device = resolve_device(cfg.device);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw PathError("cannot create sweep directory '" + dir + "'");

  SweepOutcome result;
  auto settings = sweep_settings(cfg);
  result.header = sweep_header(cfg, settings);
  check_settings(dir, settings);
  result.settings = settings;
  const auto rows_path = (fs::path(dir) / "rows.jsonl").string();
  const auto done = read_rows(rows_path);
  const MetricsLog rows_log(rows_path);

  RowSource source{cfg, dir, device, out, std::nullopt, std::nullopt};
  const int64_t n = static_cast<int64_t>(cfg.lambdas.size());
  Stopwatch total;
  double spent = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double lambda = cfg.lambdas[i];
    const auto earlier = std::find_if(done.begin(), done.end(),
                                      [&](const SweepRow& r) { return same_lambda(r.lambda, lambda); });
    if (earlier != done.end()) {
      result.rows.push_back(*earlier);
      if (out)
        *out << "run " << i + 1 << "/" << n << " lambda " << format_lambda(lambda)
             << ": done earlier (rows.jsonl), skipped\n";
      continue;
    }
    const int64_t todo = n - i;  // this row and those after it, at most
    if (out) print_progress(*out, i, n, lambda, total.seconds(),
                            result.computed ? format_duration(spent / result.computed * todo) : "?");
    Stopwatch sw;
    SweepRow row = source.at(lambda);
    row.seconds = sw.seconds();
    spent += row.seconds;
    ++result.computed;
    rows_log.append(row);
    result.rows.push_back(row);
  }
  write_sweep_files(dir, result);
  return result;
}

}  // namespace localist
