// localist._localist: the C++ core seen from Python (python/localist/__init__.py is its face).
// Tensors cross as torch.Tensor through PyTorch's own pybind11 casters: no copies. Results the
// CLI prints as JSON (eval --json, explain --json) come back as the same JSON text, built by the
// same library functions. Every localist::UserError becomes localist.LocalistError with the
// CLI's one-line message.
#include <torch/extension.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <tuple>

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "localist/blocks/block_map.h"
#include "localist/core/device.h"
#include "localist/core/json_text.h"
#include "localist/core/setting.h"
#include "localist/core/errors.h"
#include "localist/hierarchy/hierarchy.h"
#include "localist/hierarchy/hierarchy_eval.h"
#include "localist/hierarchy/router.h"
#include "localist/metrics/checkpoint_eval.h"
#include "localist/metrics/text_explain.h"
#include "localist/model/dial.h"
#include "localist/report/eval_json.h"
#include "localist/report/explain_json.h"
#include "localist/report/hierarchy_eval_json.h"
#include "localist/report/sweep.h"
#include "localist/report/threshold_json.h"
#include "localist/recruit/recruiter.h"
#include "localist/run/checkpoint.h"
#include "localist/train/trainer.h"

namespace py = pybind11;

namespace localist::python {

// The blocks and dial one call runs under: the checkpoint's, with the call's overrides.
struct Setting {
  LocalistConfig localist;
  BlockMap blocks;
  Dial dial;
};

class Model {
 public:
  Model(const std::string& path, const std::string& device)
      : path_(path), device_(resolve_device(device)), lm_(load_model(path, device_)) {
    lm_.model->eval();
  }
  // A model already loaded (a hierarchy's member), kept at `path`.
  Model(const std::string& path, const torch::Device& device, LoadedModel lm)
      : path_(path), device_(device), lm_(std::move(lm)) {
    lm_.model->eval();
  }

  // lam, kappa: the dial's (None: the checkpoint's); rules_file / rules_json: other rules (a
  // file, or the rules as JSON text; "": the checkpoint's).
  Setting setting(std::optional<double> lam, std::optional<double> kappa, const std::string& rules_file,
                  const std::string& rules_json) const {
    SettingChange change{lam, kappa, rules_file, nullptr};
    if (!rules_json.empty()) {
      std::string error;
      change.rules = parse_json_text(rules_json, &error);
      if (change.rules.is_discarded()) throw ConfigError("rules: not valid JSON: " + error);
    }
    auto lc = apply_setting(lm_.meta.localist, change);
    auto blocks = BlockMap::from_config(lc, *lm_.tokenizer);
    const auto dial = Dial::from_config(lc);
    return {std::move(lc), std::move(blocks), dial};
  }

  // idx: (B, T) integer token ids -> logits (B, T, V), under the setting's dial; every
  // activation passes through `hook` when given (model/activation_hook.h).
  torch::Tensor forward(const torch::Tensor& idx, const Setting& s, const ActivationHook& hook) {
    const auto ids = checked_ids(idx);
    torch::NoGradGuard no_grad;
    const auto biases = dial_biases(s.blocks, ids, s.dial, cfg());
    struct Unhook {  // the hook never outlives the call, even when it raises
      Gpt& m;
      ~Unhook() { m->set_hook({}); }
    } unhook{lm_.model};
    lm_.model->set_hook(hook);
    return lm_.model->forward(ids, false, biases).logits;
  }

  // Attention probabilities (L, B, H, T, T) under the setting's dial.
  torch::Tensor attention(const torch::Tensor& idx, const Setting& s) {
    const auto ids = checked_ids(idx);
    torch::NoGradGuard no_grad;
    return torch::stack(lm_.model->forward(ids, true, dial_biases(s.blocks, ids, s.dial, cfg())).attn);
  }

  // NLL (nats, float64) of tokens[1..n-1] given what precedes each: (n - 1,), as a hierarchy's
  // router hears it (hierarchy.h segment_nll), under the setting's dial.
  torch::Tensor nll(const std::vector<int32_t>& tokens, const Setting& s) {
    for (auto id : tokens) check_token(id);
    return segment_nll(lm_.model, s.blocks, s.dial, tokens);
  }

  // `localist eval --json` on `text` (when given) or on a split of the checkpoint's data (or of
  // `data`, read with its tokenizer).
  std::string metrics(const Setting& s, const std::optional<std::string>& text, const std::string& split,
                      const std::string& data, int64_t max_tokens, int64_t batch_size, bool flash) {
    const auto measured = [&](const data::TokenFile& tokens) {
      return eval_json(evaluate_checkpoint(lm_, tokens, s.localist, batch_size, max_tokens, device_, flash),
                       s.localist, cfg().causal, flash);
    };
    nlohmann::json j;
    if (text) {
      j = measured(data::TokenFile::from_tokens(lm_.tokenizer->encode(*text), cfg().vocab_size));
      j.update({{"split", nullptr}, {"data", "(text)"}});
    } else {
      const auto run_data = checkpoint_run_data(path_, lm_, data_to_evaluate(lm_.meta.data, data));
      j = measured(split_tokens(run_data, split));
      j.update({{"split", split}, {"data", run_data.description}});
    }
    j.update({{"checkpoint", path_}, {"step", lm_.meta.step}});
    return j.dump();
  }

  // `localist threshold --json`: the threshold's constants, the KKT check and the bounds.
  std::string threshold(const Setting& s, const std::string& split, const std::string& data, int64_t max_tokens,
                        int64_t batch_size, double margin_percentile) {
    require_causal(cfg(), "threshold");
    ThresholdOptions o;
    o.margin_percentile = margin_percentile;
    const auto run_data = checkpoint_run_data(path_, lm_, data_to_evaluate(lm_.meta.data, data));
    const auto e = estimate_threshold(lm_.model, split_tokens(run_data, split), batch_size, device_, max_tokens,
                                      s.blocks, s.dial, PenaltyInForce::from_config(s.localist, cfg().n_layer), o);
    return threshold_json(e, {path_, split, lm_.meta.step}, s.localist, s.blocks).dump();
  }

  // `localist explain --json`: every token of `text`, the heads of `layer` / `head` (-1: all).
  std::string explain(const Setting& s, const std::string& text, int64_t layer, int64_t head) {
    require_causal(cfg(), "explain");
    check_index("layer", layer, cfg().n_layer);
    check_index("head", head, cfg().n_head);
    const auto ids = lm_.tokenizer->encode(text);
    if (ids.empty()) throw DataError("explain: the text encodes to no tokens; nothing to explain");
    const auto explained = explain_text(lm_.model, s.blocks, s.dial, ids, device_);
    const auto shown = shown_heads(cfg(), layer, head);
    const ExplainView view{path_, lm_.meta.step, cfg(), s.localist, s.blocks, s.dial, *lm_.tokenizer, ids,
                           explained, shown, summarize(explained, shown),
                           window_note(static_cast<int64_t>(ids.size()), cfg().context_length, explained.windows),
                           layer, head};
    return explanation_json(view).dump();
  }

  // `localist sweep --protocol inference --json` over `lambdas` (the rest of the setting held),
  // its rows kept in `dir` (resumable, as the CLI's).
  std::string sweep(const Setting& s, const std::vector<double>& lambdas, const std::string& split,
                    const std::string& data, int64_t max_tokens, const std::string& dir) {
    SweepConfig c;
    c.checkpoint = path_;
    c.localist = s.localist;
    c.lambdas = lambdas;
    c.split = split;
    c.max_tokens = max_tokens;
    c.device = device_.str();
    c.threads = torch::get_num_threads();  // the notebook's, kept
    c.other_data = !data.empty();
    c.data = data_to_evaluate(lm_.meta.data, data);
    for (double lam : lambdas) {  // run_sweep sets each lambda unchecked: the config's own check
      LocalistConfig lc = s.localist;
      lc.lambda = lam;
      lc.validate();
    }
    const auto r = run_sweep(c, dir, nullptr);
    return sweep_json(r.settings, r.rows).dump();
  }

  std::vector<int32_t> encode(const std::string& text) const { return lm_.tokenizer->encode(text); }
  std::string decode(const std::vector<int32_t>& ids) const {
    for (auto id : ids) check_token(id);
    return lm_.tokenizer->decode(ids);
  }
  // name -> the model's own parameter or buffer tensor (shared storage: writing one changes the model)
  std::map<std::string, torch::Tensor> state_dict() const {
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : lm_.model->named_parameters()) out[p.key()] = p.value();
    for (const auto& b : lm_.model->named_buffers()) out[b.key()] = b.value();
    return out;
  }
  std::string config_json() const { return nlohmann::json(cfg()).dump(); }
  std::string localist_json() const { return nlohmann::json(lm_.meta.localist).dump(); }
  int64_t step() const { return lm_.meta.step; }
  std::string device() const { return device_.str(); }

 private:
  const ModelConfig& cfg() const { return lm_.model->cfg; }
  void check_token(int64_t id) const {
    if (id < 0 || id >= cfg().vocab_size)
      throw DataError("token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                      std::to_string(cfg().vocab_size) + ")");
  }
  static void check_index(const char* what, int64_t value, int64_t n) {
    if (value < -1 || value >= n)
      throw ConfigError(std::string("explain: ") + what + " " + std::to_string(value) + " is outside 0.." +
                        std::to_string(n - 1));
  }
  // (B, T) int64 on the model's device, every id in the vocabulary, 0 < T <= context_length.
  torch::Tensor checked_ids(const torch::Tensor& idx) const {
    if (idx.dim() != 2 || idx.size(1) == 0 || idx.size(0) == 0)
      throw ConfigError("tokens: expected a non-empty (batch, time) tensor of token ids");
    if (idx.is_floating_point() || idx.is_complex() || idx.scalar_type() == torch::kBool)
      throw ConfigError("tokens: expected integer token ids, got " + std::string(c10::toString(idx.scalar_type())));
    if (idx.size(1) > cfg().context_length)
      throw ConfigError("tokens: " + std::to_string(idx.size(1)) + " tokens exceed the context (context_length " +
                        std::to_string(cfg().context_length) + ")");
    check_token(idx.min().item<int64_t>());
    check_token(idx.max().item<int64_t>());
    return idx.to(device_, torch::kLong);
  }

  std::string path_;
  torch::Device device_;
  LoadedModel lm_;
};

// A setting as Python spells it (core/errors.h): the keyword argument of Model's methods
// (lam=, rules=), else the key of the dicts train() and evaluate() take.
std::string keyword(const std::string& key) {
  if (key == "lambda") return "lam";
  if (key == "rules_file") return "rules";
  return key;
}

// A hierarchy's manifest (hierarchy.json as JSON text) and its members, base first, each a
// Model at its own directory.
std::pair<std::string, std::vector<std::unique_ptr<Model>>> open_hierarchy(const std::string& dir,
                                                                          const std::string& device) {
  const auto dev = resolve_device(device);
  auto h = load_hierarchy(dir, dev);
  std::vector<std::unique_ptr<Model>> members;
  for (size_t k = 0; k < h.models.size(); ++k)
    members.push_back(std::make_unique<Model>((std::filesystem::path(dir) / h.manifest.members[k].path).string(),
                                              dev, std::move(h.models[k])));
  return {h.manifest.to_json().dump(), std::move(members)};
}

// `localist hierarchy eval --json` on texts (name, text) instead of files, as JSON text.
std::string evaluate_hierarchy(const std::string& dir, const std::string& device,
                               const std::vector<std::pair<std::string, std::string>>& texts,
                               const HierarchyEvalOptions& options, const std::string& rules_file, double kappa) {
  auto h = load_hierarchy(dir, resolve_device(device));
  override_members(h, rules_file, kappa);
  std::vector<DomainTokens> domains;
  for (const auto& [name, text] : texts)
    domains.push_back({name, "domain '" + name + "'", h.models[0].tokenizer->encode(text)});
  return to_json(localist::evaluate_hierarchy(h, domains, options), dir).dump();
}

// hierarchy/router.h on the members' NLL rows (K, T): (nll (T,), chosen, share (K,), weights (K, T)).
std::tuple<torch::Tensor, int64_t, torch::Tensor, torch::Tensor> route(const torch::Tensor& nll,
                                                                       const std::string& routing, int64_t prefix) {
  if (nll.dim() != 2 || nll.size(0) == 0 || nll.size(1) == 0)
    throw ConfigError("route: expected a non-empty (members, predictions) tensor of NLLs");
  check_routing(routing, prefix, "route");  // route_hard checks prefix against the segment
  const auto r = routing == "hard" ? route_hard(nll, prefix) : route_soft(nll);
  return {r.nll, r.chosen, r.share, r.weights};
}

namespace {  // holds a py::object (hidden visibility): kept out of the exported namespace

// An ostream whose lines go to a Python callable (a notebook's print), checking for Ctrl-C at
// each: a KeyboardInterrupt stops training there (checkpoints are written atomically).
class PythonLines : public std::streambuf {
 public:
  explicit PythonLines(py::object fn) : fn_(std::move(fn)) {}

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return c;
    if (c != '\n') return line_.push_back(static_cast<char>(c)), c;
    py::gil_scoped_acquire gil;  // training runs without it (autograd refuses to run holding it)
    fn_(line_);
    line_.clear();
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    return c;
  }

 private:
  py::object fn_;
  std::string line_;
};

}  // namespace

// Reads `j` into a config of type C over `c`, refusing keys C does not have (a typo would
// otherwise train with the default silently).
template <typename C>
void read_config(const std::string& what, const std::string& text, C& c) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(what + ": not a JSON object: " + e.what());
  }
  if (!j.is_object()) throw ConfigError(what + ": expected a dict of settings");
  const nlohmann::json known = c;
  for (const auto& [key, value] : j.items())
    if (!known.contains(key)) throw ConfigError(what + ": unknown field '" + key + "'");
  from_json(j, c);
}

// `localist train`'s trainer: the configs as JSON objects (keys as in a run's config.json).
std::string train(const std::string& out, const std::string& model, const std::string& data,
                  const std::string& training, const std::string& localist, const std::string& recruit,
                  bool resume, const std::string& init_from, py::object progress) {
  TrainRequest req;
  req.growth = recruiter_factory();
  req.run_dir = out;
  req.resume = resume;
  req.init_from = init_from;
  read_config("model", model, req.model);
  read_config("data", data, req.data);
  read_config("train", training, req.train);
  if (!init_from.empty())  // a specialist keeps its base's blocks, rules and dial unless given
    req.localist = read_checkpoint_meta(find_checkpoint_dir(init_from)).localist;
  read_config("localist", localist, req.localist);
  read_config("recruit", recruit, req.recruit);
  if (resume && nlohmann::json::parse(training).contains("max_steps")) req.max_steps_override = req.train.max_steps;
  PythonLines lines(std::move(progress));
  std::ostream os(&lines);
  os.exceptions(std::ios::badbit);  // an exception from a line (Ctrl-C) reaches the caller
  req.out = &os;
  TrainSummary r;
  {
    py::gil_scoped_release no_gil;
    r = train(req);
  }
  return nlohmann::json{{"steps", r.steps}, {"params", r.params}, {"losses", r.losses},
                        {"valid_loss", r.valid.nll}, {"valid_perplexity", r.valid.perplexity},
                        {"valid_accuracy", r.valid.accuracy}, {"seconds", r.seconds},
                        {"tokens_per_second", r.tokens_per_second}, {"device", r.device},
                        {"recruited", r.recruited}}
      .dump();
}

}  // namespace localist::python

PYBIND11_MODULE(_localist, m) {
  using localist::python::Model;
  using localist::python::Setting;
  m.doc() = "localist's C++ core (use the `localist` package)";
  // stored the way pybind11 asks (no static py::object destroyed after the interpreter)
  PYBIND11_CONSTINIT static py::gil_safe_call_once_and_store<py::object> error;
  error.call_once_and_store_result(
      [&] { return py::exception<localist::UserError>(m, "LocalistError", PyExc_ValueError); });
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const localist::UserError& e) {
      py::set_error(error.get_stored(), e.spelled(localist::python::keyword).c_str());
    }
  });
  py::class_<Setting>(m, "Setting")
      .def_property_readonly("lam", [](const Setting& s) { return s.dial.lambda; })
      .def_property_readonly("kappa", [](const Setting& s) { return s.dial.kappa; })
      .def_property_readonly("blocks", [](const Setting& s) { return s.blocks.describe(); });
  py::class_<Model>(m, "Model")
      .def(py::init<const std::string&, const std::string&>(), py::arg("path"), py::arg("device") = "cpu")
      .def("setting", &Model::setting, py::arg("lam"), py::arg("kappa"), py::arg("rules_file"), py::arg("rules_json"))
      .def("forward", &Model::forward, py::arg("idx"), py::arg("setting"), py::arg("hook"))
      .def("attention", &Model::attention, py::arg("idx"), py::arg("setting"))
      .def("nll", &Model::nll, py::arg("tokens"), py::arg("setting"))
      .def("metrics", &Model::metrics, py::arg("setting"), py::arg("text"), py::arg("split"), py::arg("data"),
           py::arg("max_tokens"), py::arg("batch_size"), py::arg("flash"))
      .def("sweep", &Model::sweep, py::arg("setting"), py::arg("lambdas"), py::arg("split"), py::arg("data"),
           py::arg("max_tokens"), py::arg("dir"))
      .def("threshold", &Model::threshold, py::arg("setting"), py::arg("split"), py::arg("data"),
           py::arg("max_tokens"), py::arg("batch_size"), py::arg("margin_percentile"),
           py::call_guard<py::gil_scoped_release>())  // its backward pass must not hold the GIL
      .def("explain", &Model::explain, py::arg("setting"), py::arg("text"), py::arg("layer"), py::arg("head"))
      .def("encode", &Model::encode)
      .def("decode", &Model::decode)
      .def("state_dict", &Model::state_dict)
      .def("config_json", &Model::config_json)
      .def("localist_json", &Model::localist_json)
      .def_property_readonly("step", &Model::step)
      .def_property_readonly("device", &Model::device);
  m.def("open_hierarchy", &localist::python::open_hierarchy, py::arg("dir"), py::arg("device") = "cpu");
  py::class_<localist::HierarchyEvalOptions>(m, "HierarchyEvalOptions")
      .def(py::init<>())
      .def_readwrite("segment_tokens", &localist::HierarchyEvalOptions::segment_tokens)
      .def_readwrite("max_segments", &localist::HierarchyEvalOptions::max_segments)
      .def_readwrite("prefix", &localist::HierarchyEvalOptions::prefix)
      .def_readwrite("own", &localist::HierarchyEvalOptions::own)
      .def_readwrite("attention", &localist::HierarchyEvalOptions::attention)
      .def_readwrite("bounds", &localist::HierarchyEvalOptions::bounds)
      .def_readwrite("margin_percentile", &localist::HierarchyEvalOptions::margin_percentile);
  m.def("evaluate_hierarchy", &localist::python::evaluate_hierarchy, py::arg("dir"), py::arg("device"),
        py::arg("texts"), py::arg("options"), py::arg("rules_file"), py::arg("kappa"),
        py::call_guard<py::gil_scoped_release>());
  m.def("route", &localist::python::route, py::arg("nll"), py::arg("routing"), py::arg("prefix"));
  m.def("train", &localist::python::train, py::arg("out"), py::arg("model"), py::arg("data"), py::arg("train"),
        py::arg("localist"), py::arg("recruit"), py::arg("resume"), py::arg("init_from"), py::arg("progress"));
}
