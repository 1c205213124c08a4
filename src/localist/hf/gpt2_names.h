#pragma once
// Our parameter names beside Hugging Face's GPT-2 (transformers' GPT2LMHeadModel):
//   wte.weight                  transformer.wte.weight
//   layers.N.attn.c_attn.weight transformer.h.N.attn.c_attn.weight   (transposed: GPT-2 keeps
//   layers.N.mlp.c_fc.weight    transformer.h.N.mlp.c_fc.weight       these as Conv1D, in x out)
//   ln_f.bias                   transformer.ln_f.bias
//   lm_head.weight              lm_head.weight                       (only when not tied)
// Everything else maps by the same prefix rule; biases and LayerNorms are never transposed.
#include <string>

namespace localist::hf {

std::string hf_name(const std::string& ours);      // "layers.0.ln_1.weight" -> "transformer.h.0.ln_1.weight"
bool hf_transposed(const std::string& ours);         // stored (in, out) by GPT-2's Conv1D
// A Hugging Face name without the "transformer." prefix some files use (openai-community/gpt2's).
std::string with_transformer_prefix(const std::string& hf);
// The attention-mask buffers old GPT-2 files carry ("h.N.attn.bias", "h.N.attn.masked_bias"):
// not parameters, ignored on import.
bool is_hf_buffer(const std::string& hf);

}  // namespace localist::hf
