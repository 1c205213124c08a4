#include "localist/loss/localist_loss.h"

#include "localist/loss/attention_penalty.h"

namespace localist {

LocalistLoss localist_loss(Gpt& model, const torch::Tensor& x, const torch::Tensor& y,
                           const LocalistObjective& objective, const torch::Tensor& x_host) {
  // the penalty needs the probabilities materialised; the bias needs the layout
  const bool penalty = objective.penalty();
  BlockLayout layout;
  if (objective.blocks && (objective.dial.active() || penalty)) layout = objective.blocks->layout(x_host.defined() ? x_host : x, x.device());
  auto out = model->forward(x, penalty,
                            dial_biases(layout, objective.dial, model->cfg.n_layer, model->cfg.causal));
  LocalistLoss l;
  l.ce = GptImpl::loss(out.logits, y);
  if (penalty)
    l.r_att = attention_group_penalty(out.attn, layout, objective.layer_lambda, objective.alpha_att);
  return l;
}

}  // namespace localist
