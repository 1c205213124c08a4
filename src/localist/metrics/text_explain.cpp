#include "localist/metrics/text_explain.h"

#include <cmath>

namespace localist {

namespace {
// A causal query at position t sees t + 1 keys: its attention entropy is at most log2(t + 1) bits.
double max_entropy_bits(const ExplainedToken& r) { return std::log2(static_cast<double>(r.e.position + 1)); }
}  // namespace

TextExplanation explain_text(Gpt& model, const BlockMap& blocks, const Dial& dial,
                             const std::vector<int32_t>& ids, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  const auto& mc = model->cfg;
  const int64_t n = static_cast<int64_t>(ids.size()), T = mc.context_length;
  TextExplanation x;
  x.windows = (n + T - 1) / T;
  x.rows.reserve(n);
  for (int64_t w = 0; w < x.windows; ++w) {
    const int64_t start = w * T, len = std::min(T, n - start);
    std::vector<int64_t> window(ids.begin() + start, ids.begin() + start + len);
    auto idx = torch::tensor(window, torch::kLong).unsqueeze(0).to(device);  // (1, t)
    const auto layout = blocks.layout(idx);
    std::vector<torch::Tensor> biases;
    if (dial.active()) biases = dial_biases(layout, dial, mc.n_layer);
    auto out = model->forward(idx, /*need_attn=*/true, biases);
    auto probs = torch::softmax(out.logits[0].to(torch::kDouble), -1).cpu();  // (t, V)
    auto top_id = probs.argmax(-1);                                           // as eval's accuracy
    auto top_p = probs.gather(-1, top_id.unsqueeze(-1)).squeeze(-1);
    auto explained = explain_attention(out.attn, layout);
    for (int64_t t = 0; t < len; ++t) {
      ExplainedToken r{w, start, ids[start + t], std::move(explained[t]), {}};
      r.p.predicted = static_cast<int32_t>(top_id[t].item<int64_t>());
      r.p.predicted_p = top_p[t].item<double>();
      if (start + t + 1 < n) {
        r.p.next = ids[start + t + 1];
        r.p.next_p = probs[t][r.p.next].item<double>();
      }
      x.max_entropy_bits_sum += max_entropy_bits(r);
      x.rows.push_back(std::move(r));
    }
  }
  return x;
}

ExplainSummary summarize(const TextExplanation& x, const std::vector<std::pair<int64_t, int64_t>>& shown) {
  ExplainSummary s;
  double block_sum = 0, pointer_sum = 0, entropy_sum = 0;
  for (const auto& r : x.rows)
    for (auto [l, h] : shown) {
      const auto& e = r.e.heads[l][h];
      if (!std::isnan(e.target_mass)) block_sum += e.target_mass, ++s.block_n;
      if (!std::isnan(e.target_anchor_mass)) pointer_sum += e.target_anchor_mass, ++s.pointer_n;
      entropy_sum += e.entropy_bits;
      ++s.measured;
    }
  s.block_fidelity = s.block_n ? block_sum / static_cast<double>(s.block_n) : NAN;
  s.pointer_fidelity = s.pointer_n ? pointer_sum / static_cast<double>(s.pointer_n) : NAN;
  s.entropy_bits = s.measured ? entropy_sum / static_cast<double>(s.measured) : NAN;
  s.max_entropy_bits = x.rows.empty() ? 0 : x.max_entropy_bits_sum / static_cast<double>(x.rows.size());
  return s;
}

std::vector<std::pair<int64_t, int64_t>> every_head(int64_t n_layer, int64_t n_head) {
  std::vector<std::pair<int64_t, int64_t>> all;
  for (int64_t l = 0; l < n_layer; ++l)
    for (int64_t h = 0; h < n_head; ++h) all.push_back({l, h});
  return all;
}

TextExplanation rows_between(const TextExplanation& x, size_t begin, size_t end) {
  TextExplanation out;
  out.windows = x.windows;
  for (size_t i = begin; i < end; ++i) {
    out.rows.push_back(x.rows.at(i));
    out.max_entropy_bits_sum += max_entropy_bits(out.rows.back());
  }
  return out;
}

}  // namespace localist
