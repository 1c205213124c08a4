#pragma once
// Block-structured units (ModelConfig::block_units, docs/theory.md "R_W tied to blocks"): the
// tokens of vocab block i are read through unit group G_i of d_model (model/unit_groups.h), so
// that head h's query / key weights on G_i (the weight-group penalty's groups) are exactly what
// it reads of block i.
#include <cstdint>

#include <torch/torch.h>

#include "localist/blocks/block_map.h"
#include "localist/model/gpt.h"

namespace localist {

// (vocab, n_embd) float 0/1: row v is the indicator of the unit group of token v's block.
// ConfigError unless the blocks are vocab blocks numbering exactly `groups`.
torch::Tensor block_unit_table(const BlockMap& blocks, int64_t vocab, int64_t n_embd, int64_t groups);

// Gives a model with block units (cfg.block_units > 0) its table from the run's blocks; a model
// without them is left alone.
void wire_block_units(Gpt& model, const BlockMap& blocks);

}  // namespace localist
