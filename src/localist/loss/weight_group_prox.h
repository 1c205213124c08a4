#pragma once
// The weight-group penalty (docs/design.md §1.2, effect 3): d_model is split into K contiguous unit
// groups G_i; for every layer l, head h and group i the query and key weights that read G_i,
//   W_Q^(l,h)[:, G_i]  and  W_K^(l,h)[:, G_i]   (rows of head h in c_attn, columns G_i),
// form groups of a group lasso
//   R_W = lambda * alpha_W * sum_{l,h,i} sqrt(|G_i|) (||W_Q^(l,h)[:, G_i]||_F + ||W_K^(l,h)[:, G_i]||_F)
// applied by a proximal step after each optimizer step (group soft-thresholding with step
// eta = lr), so that inactive groups become exactly zero and the pattern can be read off.
#include <torch/torch.h>

#include "localist/model/gpt.h"
#include "localist/model/unit_groups.h"

namespace localist {

// Group g of head h, layer l: c_attn->weight rows [part*C + h*Dh, +Dh), columns of unit group i
// (model/unit_groups.h).

// ||.||_F of every group: (L, H, 2, K), [..., 0, i] for W_Q and [..., 1, i] for W_K.
torch::Tensor weight_group_norms(Gpt& model, int64_t k);

// R_W's value (for logging): alpha_W * sum lambda_l sqrt(|G_i|) * norms; layer_lambda holds
// lambda_l per layer (the progressive schedule) or one value for every layer.
double weight_group_penalty(Gpt& model, int64_t k, const std::vector<double>& layer_lambda,
                            double alpha_w);

// W_g <- max(0, 1 - step_l * sqrt(|G_i|) / ||W_g||_F) W_g, with step_l = lr * lambda_l * alpha_W
// (one value per layer, or one for every layer).
void weight_group_prox(Gpt& model, int64_t k, const std::vector<double>& layer_step);

}  // namespace localist
