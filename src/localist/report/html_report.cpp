#include "localist/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <fstream>
#include <sstream>

#include <torch/torch.h>

#include "localist/core/atomic_file.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/core/json_text.h"
#include "localist/metrics/attention_metrics.h"
#include "localist/metrics/checkpoint_eval.h"
#include "localist/blocks/block_map.h"
#include "localist/model/dial.h"
#include "localist/report/concentration_section.h"
#include "localist/report/figures_section.h"
#include "localist/report/recruitment_section.h"
#include "localist/report/svg.h"
#include "localist/report/sweep_table.h"
#include "localist/run/checkpoint.h"
#include "localist/run/run_data.h"

namespace localist {

namespace fs = std::filesystem;

namespace {

using svg::escape;

std::string fixed(double x, int digits) {
  if (!std::isfinite(x)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

std::string kappa_text(const LocalistConfig& l) {
  return std::isinf(l.kappa) ? "inf (hard mask)" : fixed(l.kappa, 1);
}

// A token made visible and short: a heatmap label.
std::string token_label(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == ' ' ? "_" : std::string(1, c);
  return out.size() > 8 ? out.substr(0, 7) + "~" : out;
}

// ---- sweeps ----

struct SweepData {
  std::string dir, label, header;
  nlohmann::json settings;
  std::vector<SweepRow> rows;
};

SweepData load_sweep(const std::string& dir) {
  SweepData s;
  s.dir = dir;
  const auto j = read_sweep_json(dir);
  s.settings = j["settings"];
  try {
    s.rows = j["rows"].get<std::vector<SweepRow>>();
  } catch (const nlohmann::json::exception& e) {
    throw DataError("'" + (fs::path(dir) / "sweep.json").string() + "': rows are not sweep rows (" +
                    e.what() + ")");
  }
  std::sort(s.rows.begin(), s.rows.end(),
            [](const SweepRow& a, const SweepRow& b) { return a.lambda < b.lambda; });
  const auto& st = s.settings;
  const std::string protocol = st.value("protocol", std::string("?"));
  std::string blocks = "?", kappa = "?";
  if (st.contains("localist") && st["localist"].is_object()) {
    blocks = st["localist"].value("blocks", std::string("?"));
    if (st["localist"].contains("kappa")) {
      const auto& k = st["localist"]["kappa"];
      kappa = k.is_string() ? k.get<std::string>() : fixed(k.get<double>(), 1);
    }
  }
  const std::string name = fs::path(dir).lexically_normal().filename().string().empty()
                               ? fs::path(dir).lexically_normal().parent_path().filename().string()
                               : fs::path(dir).lexically_normal().filename().string();
  // a dial-robust checkpoint (docs/dial.md) says so: its curve is the one to compare across λ
  std::string sampled;
  if (protocol == "inference" && st.contains("localist") && st["localist"].is_object())
    sampled = st["localist"].value("lambda_sample", std::string());
  s.label = name + ": protocol " + protocol + (sampled.empty() ? "" : " (trained with λ drawn in " + sampled + ")") +
            ", blocks " + blocks + ", κ " + kappa + ", split " + st.value("split", std::string("?"));
  s.header = "protocol " + protocol + "; " +
             (protocol == "inference" ? "checkpoint " + st.value("checkpoint", std::string("?")) +
                                            " (step " + std::to_string(st.value("checkpoint_step", 0)) + ")"
                                      : std::string("one model trained per λ")) +
             "; blocks " + blocks + ", κ " + kappa + "; split " + st.value("split", std::string("?")) +
             (st.value("max_tokens", 0) > 0
                  ? " (first " + std::to_string(st.value("max_tokens", 0)) + " predictions)"
                  : std::string(""));
  return s;
}

std::string sweep_section(const std::vector<SweepData>& sweeps) {
  std::ostringstream o;
  o << "<section id=\"sweeps\"><h2>Sweep curves</h2>\n<p>Each series is one sweep directory "
       "(<code>localist sweep</code>), measured causally on the split named in its label. "
       "λ is the locality dial; κ the logit-bias scale in nats.</p>\n<div class=\"grid\">";
  struct Metric {
    const char* title;
    const char* y;
    double SweepRow::*field;
    bool log;
    double scale;
  };
  const Metric metrics[] = {
      {"Attention entropy against λ", "entropy (bits)", &SweepRow::entropy_bits, false, 1},
      {"Pointer fidelity against λ", "pointer fidelity", &SweepRow::pointer_fidelity, false, 1},
      {"Block fidelity against λ", "block fidelity", &SweepRow::block_fidelity, false, 1},
      {"Perplexity against λ (log scale)", "perplexity", &SweepRow::perplexity, true, 1},
      {"Top-1 accuracy against λ", "accuracy (%)", &SweepRow::accuracy, false, 100},
  };
  for (const auto& m : metrics) {
    svg::LineChart c;
    c.title = m.title;
    c.x_label = "λ (locality dial)";
    c.y_label = m.y;
    c.log_y = m.log;
    c.x_min = 0;
    c.x_max = 1;
    for (const auto& s : sweeps) {
      svg::Series series;
      series.label = s.label;
      for (const auto& r : s.rows) {
        series.x.push_back(r.lambda);
        series.y.push_back(r.*m.field * m.scale);
      }
      c.series.push_back(std::move(series));
    }
    o << "<figure>" << svg::line_chart(c) << "</figure>\n";
  }
  o << "</div>\n";
  for (const auto& s : sweeps) {
    o << "<h3>Sweep " << escape(s.dir) << "</h3>\n<p>" << escape(s.header) << "</p>\n"
      << "<table><tr><th>λ</th><th>entropy (bits)</th><th>max-entropy (bits)</th><th>pointer "
         "fidelity</th><th>block fidelity</th><th>perplexity</th><th>accuracy</th><th>tokens</th>"
         "<th>R_W sparsity</th></tr>\n";
    for (const auto& r : s.rows)
      o << "<tr><td>" << escape(format_lambda(r.lambda)) << "</td><td>" << fixed(r.entropy_bits, 3)
        << "</td><td>" << fixed(r.max_entropy_bits, 3) << "</td><td>" << fixed(r.pointer_fidelity, 4)
        << "</td><td>" << fixed(r.block_fidelity, 4) << "</td><td>" << fixed(r.perplexity, 2)
        << "</td><td>" << fixed(100 * r.accuracy, 2) << " %</td><td>" << r.tokens << "</td><td>"
        << fixed(r.weight_group_sparsity, 3) << "</td></tr>\n";
    o << "</table>\n";
  }
  o << "</section>\n";
  return o.str();
}

// ---- training runs ----

std::string training_curves(const std::string& dir) {
  const auto path = (fs::path(dir) / "metrics.jsonl").string();
  std::ifstream in(path);
  if (!in) return "<p>No training log (" + escape(path) + " is missing).</p>\n";
  svg::Series train{"train loss (per logged step)", {}, {}, false};
  std::map<std::string, svg::Series> evals;
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
      throw DataError("'" + path + "' line " + std::to_string(n) + " is not a JSON object");
    const auto type = j.value("type", std::string());
    if ((type != "train" && type != "eval") || !j.contains("loss") || !j["loss"].is_number()) continue;
    const double step = j.value("step", 0.0), loss = j["loss"].get<double>();
    if (type == "train") {
      train.x.push_back(step);
      train.y.push_back(loss);
    } else {
      const auto split = j.value("split", std::string("valid"));
      auto& s = evals[split];
      s.label = split + " loss (at each evaluation)";
      s.x.push_back(step);
      s.y.push_back(loss);
    }
  }
  svg::LineChart c;
  c.title = "Training curves: " + fs::path(dir).filename().string();
  c.x_label = "optimizer step";
  c.y_label = "loss (nats per token)";
  c.width = 560;
  c.series.push_back(train);
  for (auto& [split, s] : evals) c.series.push_back(s);
  return "<figure>" + svg::line_chart(c) + "<figcaption>From " + escape(path) + ": " +
         std::to_string(train.x.size()) + " train records, " +
         std::to_string(evals.count("valid") ? evals["valid"].x.size() : 0) +
         " validation evaluations.</figcaption></figure>\n";
}

std::vector<double> choose_lambdas(const ReportOptions& opt, double own) {
  std::vector<double> out = opt.lambdas.empty() ? std::vector<double>{0.0, own} : opt.lambdas;
  std::vector<double> unique;
  for (double l : out)
    if (std::find(unique.begin(), unique.end(), l) == unique.end()) unique.push_back(l);
  return unique;
}

std::string attention_section(const std::string& dir, const ReportOptions& opt) {
  torch::NoGradGuard no_grad;
  const auto device = resolve_device(opt.device);
  auto lm = load_model(dir, device);
  const auto& mc = lm.meta.model;
  const LocalistConfig lc = opt.localist ? opt.localist(lm.meta.localist) : lm.meta.localist;
  const auto blocks = BlockMap::from_config(lc, *lm.tokenizer);
  const auto& tok = *lm.tokenizer;

  // The sample: the first N tokens of the text given, or of the validation split.
  std::vector<int64_t> ids;
  std::string sample;
  const int64_t want = std::min<int64_t>(opt.tokens, mc.context_length);
  if (!opt.text.empty()) {
    for (int32_t t : tok.encode(opt.text)) {
      if (static_cast<int64_t>(ids.size()) >= want) break;
      ids.push_back(t);
    }
    sample = "the text given (--text)";
  } else {
    const auto run_data = checkpoint_run_data(dir, lm, lm.meta.data);
    for (int64_t i = 0; i < std::min<int64_t>(want, run_data.valid.size()); ++i) ids.push_back(run_data.valid[i]);
    sample = "the validation split";
  }
  if (ids.empty()) throw DataError("report: the sample text of '" + dir + "' has no tokens");
  const int64_t T = ids.size();
  sample = "first " + std::to_string(T) + " tokens of " + sample;
  auto idx = torch::tensor(ids, torch::kLong).unsqueeze(0).to(device);
  const auto layout = blocks.layout(idx);
  const auto block = layout.block[0].cpu();
  std::vector<int64_t> bounds;
  int64_t max_block = 0;
  for (int64_t j = 0; j < T; ++j) {
    const int64_t b = block[j].item<int64_t>();
    max_block = std::max(max_block, b);
    if (j > 0 && b != block[j - 1].item<int64_t>()) bounds.push_back(j);
  }
  const int64_t K = std::min<int64_t>(max_block + 1, 16);
  std::vector<std::string> labels;
  for (int64_t j = 0; j < T; ++j) labels.push_back(token_label(tok.token_text(static_cast<int32_t>(ids[j]))));
  std::vector<std::string> block_labels;
  for (int64_t b = 0; b < K; ++b) block_labels.push_back(blocks.block_name(b));

  std::ostringstream o;
  o << "<p>Sample: " << escape(sample) << "; blocks " << escape(blocks.describe()) << " ("
    << bounds.size() + 1 << " blocks in the sample, boundaries drawn in orange); κ "
    << escape(kappa_text(lc)) << "; checkpoint λ " << escape(format_lambda(lm.meta.localist.lambda))
    << (lc.logit_bias ? "" : "; <b>logit bias off in these settings: λ does not move attention</b>")
    << ". Rows are queries, columns keys; each heatmap is coloured from 0 (white) to its own "
       "largest weight (dark blue).</p>\n";
  for (double lambda : choose_lambdas(opt, lc.lambda)) {
    LocalistConfig at = lc;
    at.lambda = lambda;
    const Dial dial = Dial::from_config(at);
    dial.validate();
    std::vector<torch::Tensor> biases;
    if (dial.active()) biases = dial_biases(layout, dial, mc.n_layer);
    auto out = lm.model->forward(idx, /*need_attn=*/true, biases);
    AttentionMetricsAccumulator acc(K);
    acc.add(out.attn, layout);
    const auto m = acc.result();
    const std::string where = "λ " + format_lambda(lambda) + ", κ " + kappa_text(lc) + ", blocks " +
                              blocks.describe() + ", " + sample;
    o << "<h4 class=\"lambda\">λ = " << escape(format_lambda(lambda)) << "</h4>\n<p>Attention "
      << escape(where) << ": entropy " << fixed(m.entropy_bits, 3) << " bits (max-entropy "
      << fixed(m.max_entropy_bits, 3) << "), block fidelity " << fixed(m.block_fidelity, 4)
      << ", pointer fidelity " << fixed(m.pointer_fidelity, 4) << ".</p>\n<div class=\"grid\">";
    for (int64_t l = 0; l < mc.n_layer; ++l)
      for (int64_t h = 0; h < mc.n_head; ++h) {
        const auto a = out.attn[l][0][h].to(torch::kDouble).cpu().contiguous();
        svg::Heatmap hm;
        hm.title = "layer " + std::to_string(l) + ", head " + std::to_string(h) + ", λ " +
                   format_lambda(lambda);
        hm.rows = hm.cols = T;
        hm.values.assign(a.data_ptr<double>(), a.data_ptr<double>() + T * T);
        hm.vmax = std::max(1e-12, a.max().item<double>());
        hm.cell = 8;
        hm.row_labels = hm.col_labels = labels;
        hm.row_boundaries = hm.col_boundaries = bounds;
        hm.x_label = "key";
        hm.y_label = "query";
        hm.css_class = "heatmap attn";
        o << "<figure>" << svg::heatmap(hm) << "<figcaption>Attention weights, layer " << l << " head "
          << h << ", " << escape(where) << "; entropy " << fixed(m.entropy_per_head[l][h].item<double>(), 3)
          << " bits, block fidelity " << fixed(m.block_per_head[l][h].item<double>(), 4)
          << "; colour 0 … " << fixed(hm.vmax, 3) << ".</figcaption></figure>\n";
      }
    o << "</div>\n<div class=\"grid\">";
    for (int64_t l = 0; l < mc.n_layer; ++l)
      for (int64_t h = 0; h < mc.n_head; ++h) {
        const auto bm = m.block_mass[l][h].to(torch::kDouble).cpu().contiguous();
        svg::Heatmap hm;
        hm.title = "block mass, layer " + std::to_string(l) + " head " + std::to_string(h) + ", λ " +
                   format_lambda(lambda);
        hm.rows = hm.cols = K;
        hm.values.assign(bm.data_ptr<double>(), bm.data_ptr<double>() + K * K);
        hm.cell = K <= 8 ? 30 : 16;
        hm.annotate = K <= 8;
        hm.row_labels = hm.col_labels = block_labels;
        hm.x_label = "key block";
        hm.y_label = "query block";
        hm.css_class = "heatmap mass";
        o << "<figure>" << svg::heatmap(hm) << "<figcaption>Block-mass matrix (mean attention mass "
          << "from query block to key block), layer " << l << " head " << h << ", " << escape(where)
          << "; colour 0 … 1.</figcaption></figure>\n";
      }
    o << "</div>\n";
  }
  return o.str();
}

std::string run_section(const std::string& dir, const ReportOptions& opt, int index) {
  std::ostringstream o;
  o << "<section class=\"run\" id=\"run-" << index << "\"><h2>Run " << escape(dir) << "</h2>\n";
  const bool has_ckpt = fs::exists(fs::path(dir) / "checkpoint" / "checkpoint.json");
  if (has_ckpt) {
    const auto meta = read_checkpoint_meta(find_checkpoint_dir(dir));
    const auto& m = meta.model;
    o << "<p>Checkpoint at step " << meta.step << ": " << m.n_layer << " layers, " << m.n_head
      << " heads, d=" << m.n_embd << ", context " << m.context_length << "; trained with blocks "
      << escape(meta.localist.blocks) << ", λ " << escape(format_lambda(meta.localist.lambda))
      << ", κ " << escape(kappa_text(meta.localist)) << (meta.localist.logit_bias ? "" : " (logit bias off)")
      << "; data " << escape(meta.data.source.empty() ? "split files" : meta.data.source)
      << ", tokenizer " << escape(meta.data.tokenizer) << ".</p>\n";
    if (!m.causal)
      o << "<p><b>Trained with --no-causal-mask (bidirectional, leaking: position t sees later "
           "tokens); its heatmaps show attention to future keys.</b></p>\n";
  }
  o << "<h3>Training curves</h3>\n" << training_curves(dir);
  o << recruitment_section(dir);
  if (has_ckpt) o << "<h3>Attention heatmaps and block mass</h3>\n" << attention_section(dir, opt);
  o << "</section>\n";
  return o.str();
}

const char* kStyle =
    "body{font-family:sans-serif;margin:24px;color:#222;max-width:1600px}"
    "h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px}"
    "h3{font-size:15px}h4{font-size:14px;margin:14px 0 4px}"
    ".grid{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}"
    "figure{margin:0;max-width:600px}figcaption{font-size:11px;color:#555}"
    "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;"
    "text-align:right}code{background:#f4f4f4}";

}  // namespace

std::string report_dir_kind(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw PathError("report: '" + dir + "' is not a directory (expected a sweep, concentration, figures or run directory)");
  if (fs::exists(fs::path(dir) / "sweep.json", ec)) return "sweep";
  if (fs::exists(fs::path(dir) / "concentration.json", ec)) return "concentration";
  if (fs::exists(fs::path(dir) / "figures.json", ec)) return "figures";
  if (fs::exists(fs::path(dir) / "checkpoint" / "checkpoint.json", ec) ||
      fs::exists(fs::path(dir) / "metrics.jsonl", ec))
    return "run";
  throw PathError("report: '" + dir +
                  "' is neither a sweep directory (no sweep.json), a concentration directory (no "
                  "concentration.json), a figures directory (no figures.json) nor a run directory (no "
                  "checkpoint/checkpoint.json or metrics.jsonl)");
}

nlohmann::json read_sweep_json(const std::string& dir) {
  const auto path = (fs::path(dir) / "sweep.json").string();
  const auto j = read_json_object_file(path, "report: ");
  if (!j.contains("rows") || !j["rows"].is_array() || !j.contains("settings") || !j["settings"].is_object())
    throw DataError("report: '" + path + "' has no `settings` object and `rows` array (not made by localist sweep?)");
  return j;
}

std::string build_report(const ReportOptions& opt) {
  if (opt.dirs.empty()) throw ConfigError("report: give at least one sweep or run directory");
  if (opt.tokens < 1) throw ConfigError("report: " + setting("tokens") + " " + std::to_string(opt.tokens) + ": expected >= 1");
  for (double l : opt.lambdas)
    if (!(l >= 0 && l <= 1)) throw ConfigError("report: lambda " + fixed(l, 3) + " is outside [0, 1]");
  std::vector<SweepData> sweeps;
  std::vector<std::string> runs, concentration, figures;
  for (const auto& d : opt.dirs) {
    const auto kind = report_dir_kind(d);
    if (kind == "sweep")
      sweeps.push_back(load_sweep(d));
    else if (kind == "concentration")
      concentration.push_back(d);
    else if (kind == "figures")
      figures.push_back(d);
    else
      runs.push_back(d);
  }
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>localist report</title>"
    << "<style>" << kStyle << "</style></head><body>\n<h1>localist report</h1>\n<p>Directories: ";
  for (size_t i = 0; i < opt.dirs.size(); ++i) o << (i ? ", " : "") << "<code>" << escape(opt.dirs[i]) << "</code>";
  o << ". " << sweeps.size() << " sweep(s), " << runs.size() << " run(s)"
    << (concentration.empty() ? "" : ", " + std::to_string(concentration.size()) + " concentration curve(s)")
    << (figures.empty() ? "" : ", " + std::to_string(figures.size()) + " experiment(s) with figures") << ".</p>\n";
  if (!sweeps.empty()) o << sweep_section(sweeps);
  o << concentration_section(concentration) << figures_section(figures);
  int i = 0;
  for (const auto& r : runs) o << run_section(r, opt, i++);
  o << "</body></html>\n";
  return o.str();
}

void write_report(const ReportOptions& opt, const std::string& out) {
  const auto html = build_report(opt);  // everything read and checked before writing
  write_text_atomically(out, html);
}

}  // namespace localist
