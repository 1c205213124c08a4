#include "localist/model/sampler.h"

#include <algorithm>
#include <limits>

#include "localist/core/errors.h"

namespace localist {

torch::Tensor next_token_logits(Gpt& model, const std::vector<int32_t>& context,
                                const SampleOptions& opt, const torch::Device& device) {
  if (context.empty()) throw ConfigError("the prompt encodes to no tokens; give a non-empty prompt");
  if (opt.logits) return opt.logits(model, context, opt);
  return next_token_logits_batch(model, {{&context, opt.blocks, opt.dial}}, device).at(0);
}

namespace {

// Each query's context cropped to its last T tokens: (1, t_b) int64 on the device.
std::vector<torch::Tensor> cropped_rows(const std::vector<LogitsQuery>& queries, int64_t T,
                                        const torch::Device& device) {
  std::vector<torch::Tensor> rows;
  for (const auto& q : queries) {
    if (!q.context || q.context->empty()) throw ConfigError("the prompt encodes to no tokens; give a non-empty prompt");
    const int64_t start = std::max<int64_t>(0, static_cast<int64_t>(q.context->size()) - T);
    std::vector<int64_t> ctx(q.context->begin() + start, q.context->end());
    rows.push_back(torch::tensor(ctx, torch::kLong).unsqueeze(0).to(device));
  }
  return rows;
}

// Per layer, the (B, 1, L, L) additive bias of rows right-padded to L: each row's dial bias in
// its top-left corner and, when a non-causal model's rows are ragged, -inf on its padded keys
// (undefined where no row needs one; empty when no layer does). A batch of one unpadded row is
// the single-request hot path: its own biases pass through without a copy.
std::vector<torch::Tensor> batch_biases(const std::vector<LogitsQuery>& queries,
                                        const std::vector<torch::Tensor>& rows, int64_t L,
                                        const ModelConfig& cfg, const torch::Device& device) {
  const int64_t B = static_cast<int64_t>(rows.size());
  const bool ragged = std::any_of(rows.begin(), rows.end(), [&](const auto& r) { return r.size(1) != L; });
  const bool mask_padding = ragged && !cfg.causal;  // a leaking model's queries see later keys
  std::vector<std::vector<torch::Tensor>> per_row(B);  // per row, per layer (empty: no dial)
  for (int64_t b = 0; b < B; ++b)
    if (queries[b].blocks)  // the layout of this row's (cropped) context
      per_row[b] = dial_biases(*queries[b].blocks, rows[b], queries[b].dial, cfg);
  if (B == 1 && !ragged) return per_row[0];
  std::vector<torch::Tensor> biases;
  bool any_layer = false;
  for (int64_t l = 0; l < cfg.n_layer; ++l) {
    bool any = mask_padding;
    for (const auto& r : per_row) any |= !r.empty() && r[l].defined();
    biases.push_back(any ? torch::zeros({B, 1, L, L}, torch::TensorOptions().dtype(torch::kFloat).device(device))
                         : torch::Tensor());
    any_layer |= any;
    for (int64_t b = 0; any && b < B; ++b) {
      const int64_t t = rows[b].size(1);
      auto row = biases.back()[b];  // (1, L, L), a view
      if (!per_row[b].empty() && per_row[b][l].defined()) row.narrow(1, 0, t).narrow(2, 0, t).copy_(per_row[b][l][0]);
      if (mask_padding && t < L) row.narrow(2, t, L - t).fill_(-std::numeric_limits<float>::infinity());
    }
  }
  if (!any_layer) biases.clear();
  return biases;
}

}  // namespace

std::vector<torch::Tensor> next_token_logits_batch(Gpt& model, const std::vector<LogitsQuery>& queries,
                                                   const torch::Device& device) {
  torch::NoGradGuard no_grad;
  const auto rows = cropped_rows(queries, model->cfg.context_length, device);
  int64_t L = 0;
  for (const auto& r : rows) L = std::max<int64_t>(L, r.size(1));
  const auto biases = batch_biases(queries, rows, L, model->cfg, device);
  std::vector<torch::Tensor> padded;  // (1, L) each
  for (const auto& r : rows) padded.push_back(torch::constant_pad_nd(r, {0, L - r.size(1)}, 0));
  const auto logits = model->forward(torch::cat(padded, 0), false, biases).logits;  // (B, L, V)
  std::vector<torch::Tensor> out;
  for (size_t b = 0; b < rows.size(); ++b) out.push_back(logits.index({static_cast<int64_t>(b), rows[b].size(1) - 1}).to(torch::kFloat).cpu());
  return out;
}

int64_t draw(torch::Tensor logits, const SampleOptions& opt, at::Generator& gen, torch::Tensor* probs) {
  if (opt.temperature == 0) {
    if (probs) *probs = torch::softmax(logits, -1);
    return logits.argmax().item<int64_t>();
  }
  // in double, shifted so the largest is 0: a tiny temperature (1.5e-232 once made a served
  // request's 500) sends the rest to -inf instead of float's 0 / 0 or inf - inf = NaN
  logits = (logits.to(torch::kDouble) - logits.max().to(torch::kDouble)) / opt.temperature;
  if (opt.top_k > 0 && opt.top_k < logits.size(0)) {
    auto kth = std::get<0>(logits.topk(opt.top_k)).index({-1});
    logits = logits.masked_fill(logits < kth, -std::numeric_limits<float>::infinity());
  }
  auto p = torch::softmax(logits, -1).to(torch::kFloat);
  if (probs) *probs = p;
  return torch::multinomial(p, 1, false, gen).item<int64_t>();
}

std::vector<int32_t> sample(Gpt& model, std::vector<int32_t> prompt, const SampleOptions& opt,
                            const torch::Device& device, const TokenCallback& each) {
  if (opt.temperature < 0) throw ConfigError("temperature must be >= 0");
  if (opt.top_k < 0) throw ConfigError("top_k must be >= 0");
  if (prompt.empty()) throw ConfigError("the prompt encodes to no tokens; give a non-empty prompt");
  opt.dial.validate();
  torch::NoGradGuard no_grad;
  if (model->is_training()) model->eval();  // a server's threads share the model: no write once in eval
  auto gen = at::detail::createCPUGenerator(opt.seed);
  std::vector<int32_t> out = prompt;
  for (int64_t i = 0; i < opt.max_new_tokens; ++i) {
    torch::Tensor probs;
    const int64_t next = draw(next_token_logits(model, out, opt, device), opt, gen, each ? &probs : nullptr);
    out.push_back(static_cast<int32_t>(next));
    if (each && !each(static_cast<int32_t>(next), probs)) break;
  }
  return out;
}

}  // namespace localist
