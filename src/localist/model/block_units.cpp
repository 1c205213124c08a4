#include "localist/model/block_units.h"

#include <string>

#include "localist/core/errors.h"
#include "localist/model/unit_groups.h"

namespace localist {

torch::Tensor block_unit_table(const BlockMap& blocks, int64_t vocab, int64_t n_embd, int64_t groups) {
  if (blocks.kind() != "vocab")
    throw ConfigError("block_units needs vocab blocks (a token's block must not depend on its position); "
                      "the blocks are " + blocks.describe());
  const auto ids = blocks.layout(torch::arange(vocab, torch::kLong).unsqueeze(0)).block[0].to(torch::kCPU);
  const int64_t k = ids.max().item<int64_t>() + 1;
  if (k != groups)
    throw ConfigError("block_units = " + std::to_string(groups) + " but the vocab blocks number " +
                      std::to_string(k) + "; pass " + setting("block_units") + " " + std::to_string(k));
  auto table = torch::zeros({vocab, n_embd}, torch::kFloat);
  const auto g = unit_groups(n_embd, groups);
  for (int64_t i = 0; i < groups; ++i)
    table.index_put_({ids.eq(i), torch::indexing::Slice(g[i].first, g[i].first + g[i].second)}, 1.0f);
  return table;
}

void wire_block_units(Gpt& model, const BlockMap& blocks) {
  const auto& c = model->cfg;
  if (c.block_units > 0) model->set_unit_table(block_unit_table(blocks, c.vocab_size, c.n_embd, c.block_units));
}

}  // namespace localist
