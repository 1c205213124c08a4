#include "localist/train/train_log.h"

#include <cstdio>

#include "localist/core/progress.h"

namespace localist {

nlohmann::json eval_record(int64_t step, const char* split, const EvalResult& r) {
  return {{"type", "eval"},       {"step", step},     {"split", split},
          {"loss", r.nll},        {"perplexity", r.perplexity},
          {"accuracy", r.accuracy}, {"tokens", r.tokens}};
}

std::string eval_line(int64_t step, const EvalResult& r, const std::string& checkpoint_dir) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "eval  step %lld | valid loss %.4f | ppl %.3f | acc %.2f%% | saved ",
                static_cast<long long>(step), r.nll, r.perplexity, 100 * r.accuracy);
  return buf + checkpoint_dir + "\n";
}

std::string progress_line(const IntervalFigures& f) {
  char buf[200];
  int n = std::snprintf(buf, sizeof buf,
                        "step %5lld/%lld | loss %.4f | lr %.2e | %7.1f ms/step | %s tok/s | ETA %s",
                        static_cast<long long>(f.done), static_cast<long long>(f.max_steps), f.loss,
                        f.lr, f.ms_per_step, format_count(f.tokens_per_s).c_str(),
                        format_duration(f.eta_s).c_str());
  if (f.mfu >= 0) n += std::snprintf(buf + n, sizeof buf - n, " | mfu %.1f%%", 100 * f.mfu);
  if (f.r_att >= 0) std::snprintf(buf + n, sizeof buf - n, " | R_att %.4f", f.r_att);
  return std::string(buf) + "\n";
}

nlohmann::json progress_record(const IntervalFigures& f) {
  nlohmann::json rec = {{"type", "train"},  {"step", f.last_step},  {"loss", f.loss},
                        {"lr", f.lr},       {"lambda", f.lambda}, {"tokens_per_s", f.tokens_per_s},
                        {"ms_per_step", f.ms_per_step}, {"elapsed_s", f.elapsed_s}};
  if (f.mfu >= 0) rec["mfu"] = f.mfu;
  if (f.r_att >= 0) rec["r_att"] = f.r_att;
  return rec;
}

void print_header(std::ostream& out, const RunHeader& h) {
  const auto& m = h.model;
  out << "localist train: " << format_count(h.params) << " parameters, " << m.n_layer
      << " layers, d=" << m.n_embd << ", " << m.n_head << " heads, T=" << m.context_length << ", vocab "
      << m.vocab_size << " (" << h.tokenizer_kind << ") on " << h.device << "\n"
      << "data: " << h.data_description << " | train " << format_count(h.train_tokens)
      << " tokens, valid " << format_count(h.valid_tokens) << "\n";
  if (h.start_step) out << "resuming at step " << h.start_step << "\n";
  if (!h.backend.empty())
    out << "distributed: " << h.world << " processes over c10d (" << h.backend << "), batch "
        << h.train.batch_size << " per rank, " << h.train.batch_size * h.world << " in all\n";
  if (!m.causal)
    out << "LEAKING: --no-causal-mask, every position sees the token it predicts; validation "
           "numbers are not next-token prediction\n";
}

}  // namespace localist
