#pragma once
// New capacity for a recruited block (docs/design.md §1.5): one more attention head in every layer,
// added to a trained model without changing what it computes. Old weights keep their places
// (c_attn rows are laid out q | k | v, each head after head, so a head is inserted at the end of
// each third); the new head's q, k, v rows start as a fresh N(0, 0.02) draw and its c_proj
// columns as zeros, so its output adds exactly 0 to the residual stream until training moves
// those columns (their gradient is not zero: it is the new head's output). The optimizer state
// is grown the same way with zero moments, so AdamW continues as if the new entries had always
// been there and never received a gradient.
#include <string>

#include <torch/torch.h>

#include "localist/core/config.h"
#include "localist/core/safetensors.h"
#include "localist/model/gpt.h"

namespace localist {

// `cfg` with `extra` more heads per layer; head_size is pinned so old heads keep their width.
ModelConfig with_extra_heads(const ModelConfig& cfg, int64_t extra);

// A new model with cfg `with_extra_heads(model->cfg, extra)`, its function unchanged, on the
// same device. `seed` draws the new heads' q, k, v rows.
Gpt grow_heads(Gpt& model, int64_t extra, uint64_t seed);

// AdamW state (adamw.h: "exp_avg.<name>", "exp_avg_sq.<name>", "step") of `from` extended to
// the shapes of `to`, new entries zero.
TensorMap grow_optimizer_state(const TensorMap& state, const ModelConfig& from, const ModelConfig& to);

}  // namespace localist
