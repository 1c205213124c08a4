#include "localist/blocks/block_map.h"

#include <algorithm>

#include "localist/core/errors.h"
#include "localist/blocks/rules.h"

namespace localist {
namespace {

// "@context" targets (rules.h): each such query reads the listed block (not "other", not the
// shared block) most of the last `window` listed-block positions up to and including it are in;
// a tie goes to the block seen last; none in the window: -1, every block. The window does not
// reach back past a break token (a newline: the text around it is another text). Sliding
// counts, so O(T * blocks) per row.
void resolve_context_targets(const int64_t* tok, const int64_t* blk, int64_t* tgt, int64_t B, int64_t T,
                             const Rules& rules, int64_t n_blocks) {
  const auto listed = [&](int64_t b) { return b > 0 && b != rules.shared_block && b < n_blocks; };
  const int64_t window = rules.context_window;
  std::vector<int64_t> count(n_blocks);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t* row = blk + b * T;
    std::fill(count.begin(), count.end(), 0);
    std::vector<int64_t> last_seen(n_blocks, -1);
    int64_t start = 0;  // the last break (or 0): positions before it are not counted
    for (int64_t t = 0; t < T; ++t) {
      if (rules.context_breaks.count(tok[b * T + t])) {
        std::fill(count.begin(), count.end(), 0);
        start = t;
      }
      if (listed(row[t])) ++count[row[t]], last_seen[row[t]] = t;
      if (t - window >= start && listed(row[t - window])) --count[row[t - window]];
      if (tgt[b * T + t] != kContextTarget) continue;
      int64_t best = -1;
      for (int64_t k = 1; k < n_blocks; ++k)
        if (count[k] > 0 && (best < 0 || count[k] > count[best] ||
                             (count[k] == count[best] && last_seen[k] > last_seen[best])))
          best = k;
      tgt[b * T + t] = best;
    }
  }
}

}  // namespace

BlockMap BlockMap::window(int64_t width) {
  if (width <= 0)
    throw ConfigError("blocks: window width = " + std::to_string(width) +
                      " is impossible; expected window:W with W >= 1");
  BlockMap m;
  m.kind_ = "window";
  m.width_ = width;
  return m;
}

BlockMap BlockMap::segment(std::vector<int64_t> boundary_tokens) {
  if (boundary_tokens.empty())
    throw ConfigError("blocks: segment needs at least one boundary token");
  BlockMap m;
  m.kind_ = "segment";
  m.boundaries_ = std::move(boundary_tokens);
  return m;
}

BlockMap BlockMap::vocab(std::unordered_map<int64_t, int64_t> token_block, int64_t n_blocks) {
  if (n_blocks < 1) throw ConfigError("blocks: vocab needs n_blocks >= 1");
  for (const auto& [tok, b] : token_block)
    if (b < 0 || b >= n_blocks)
      throw ConfigError("blocks: token " + std::to_string(tok) + " is mapped to block " +
                        std::to_string(b) + ", which does not exist (blocks 0.." +
                        std::to_string(n_blocks - 1) + ")");
  BlockMap m;
  m.kind_ = "vocab";
  m.token_block_ = std::move(token_block);
  m.n_blocks_ = n_blocks;
  return m;
}

BlockMap BlockMap::parse(const std::string& spec) {
  if (spec.rfind("window:", 0) == 0) {
    const std::string w = spec.substr(7);
    size_t used = 0;
    int64_t width = 0;
    try {
      width = std::stoll(w, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != w.size())
      throw ConfigError("blocks = '" + spec + "': expected window:W with W a positive integer");
    return window(width);
  }
  throw ConfigError("blocks = '" + spec + "' is unknown; expected window:W, segment or vocab");
}

BlockMap BlockMap::from_spec(const std::string& spec, const data::Tokenizer& tokenizer) {
  if (spec != "segment") return parse(spec);
  std::vector<int64_t> boundaries;
  for (int32_t id : tokenizer.encode("\n")) boundaries.push_back(id);
  return segment(boundaries);
}

namespace {
// A host tensor onto the device without stalling the host: on a GPU through pinned memory
// with an asynchronous copy (a plain copy from pageable memory waits for the stream).
torch::Tensor to_device(const torch::Tensor& t, const torch::Device& device) {
  if (!device.is_cuda()) return t.to(device);
  return t.pin_memory().to(device, /*non_blocking=*/true);
}
}  // namespace

BlockLayout BlockMap::layout(const torch::Tensor& idx, const torch::Device& device) const {
  auto tokens = idx.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t B = tokens.size(0), T = tokens.size(1);
  auto block = torch::empty({B, T}, torch::kLong);
  auto anchor = torch::empty({B, T}, torch::kBool);
  const int64_t* tok = tokens.data_ptr<int64_t>();
  int64_t* blk = block.data_ptr<int64_t>();
  bool* anc = anchor.data_ptr<bool>();
  for (int64_t b = 0; b < B; ++b) {
    int64_t segment_id = 0;
    for (int64_t t = 0; t < T; ++t) {
      const int64_t i = b * T + t;
      int64_t id = 0;
      if (kind_ == "window") {
        id = t / width_;
      } else if (kind_ == "segment") {
        id = segment_id;  // a boundary token closes its block: the next position opens one
        for (int64_t s : boundaries_)
          if (tok[i] == s) ++segment_id;
      } else {
        auto it = token_block_.find(tok[i]);
        id = it == token_block_.end() ? 0 : it->second;
      }
      blk[i] = id;
      anc[i] = listed_anchors_ ? rules_->anchor_tokens.count(tok[i]) > 0
                               : t == 0 || blk[i - 1] != id;  // first position of each run
    }
  }
  BlockLayout out{block, block, anchor, {}};
  if (rules_) {  // targets and dial scales named by the rules
    auto target = block.clone();
    int64_t* tgt = target.data_ptr<int64_t>();
    for (int64_t i = 0; i < B * T; ++i) {
      if (kind_ == "vocab") {
        auto it = rules_->target.find(blk[i]);
        if (it != rules_->target.end()) tgt[i] = it->second;
      } else if (rules_->target_offset != 0) {
        tgt[i] = std::max<int64_t>(-1, blk[i] + rules_->target_offset);  // -1: no such block
      }
    }
    if (kind_ == "vocab") {
      out.shared_block = rules_->shared_block;
      resolve_context_targets(tok, blk, tgt, B, T, *rules_, n_blocks_);
    }
    out.target = target;
    if (!rules_->lambda_scale.empty()) {
      out.lambda_scale = torch::ones({B, T}, torch::kFloat);
      float* sc = out.lambda_scale.data_ptr<float>();
      for (int64_t i = 0; i < B * T; ++i)
        if (auto it = rules_->lambda_scale.find(tgt[i]); it != rules_->lambda_scale.end())
          sc[i] = static_cast<float>(it->second);
      out.lambda_scale = to_device(out.lambda_scale, device);
    }
  }
  out.n_blocks = 1 + std::max(out.block.max().item<int64_t>(), out.target.max().item<int64_t>());  // host tensors
  out.block = to_device(out.block, device);
  out.target = to_device(out.target, device);
  out.is_anchor = to_device(out.is_anchor, device);
  return out;
}

torch::Tensor target_keys(const BlockLayout& layout, bool causal) {
  const int64_t T = layout.block.size(1);
  auto visible = torch::ones({T, T}, layout.block.options().dtype(torch::kBool));
  if (causal) visible = visible.tril();
  auto in_target = layout.target.unsqueeze(2).eq(layout.block.unsqueeze(1));
  if (layout.shared_block >= 0)  // readable by every query that has a target
    in_target = in_target | (layout.block.eq(layout.shared_block).unsqueeze(1) & layout.target.ge(0).unsqueeze(2));
  return in_target & visible;
}

BlockMap BlockMap::from_config(const LocalistConfig& config, const data::Tokenizer& tokenizer) {
  auto rules = std::make_shared<const Rules>(rules_of(config, tokenizer));
  BlockMap m = config.blocks == "vocab"
                   ? vocab(rules->token_block, static_cast<int64_t>(rules->block_names.size()))
                   : from_spec(config.blocks, tokenizer);
  if (config.anchors != "first") {
    m.listed_anchors_ = !rules->anchor_tokens.empty();
    if (config.anchors != "auto" && !m.listed_anchors_)
      throw ConfigError("anchors = " + config.anchors + " but the rules list no anchor tokens" +
                        (config.anchors == "rules" ? "; add \"anchors\" to the rules file"
                                                   : "; info:N anchors are chosen by `localist train`"));
  }
  m.rules_ = std::move(rules);
  return m;
}

std::string BlockMap::block_name(int64_t id) const {
  if (rules_ && kind_ == "vocab" && id >= 0 && id < static_cast<int64_t>(rules_->block_names.size()))
    return rules_->block_names[id];
  return std::to_string(id);
}

int64_t BlockMap::blocks_per_context(int64_t T, int64_t unbounded) const {
  return kind_ == "window" ? (T + width_ - 1) / width_ : unbounded;
}

std::string BlockMap::describe() const {
  if (kind_ == "window") return "window:" + std::to_string(width_);
  if (kind_ == "segment")
    return "segment (" + std::to_string(boundaries_.size()) + " boundary token" +
           (boundaries_.size() == 1 ? ")" : "s)");
  return "vocab (" + std::to_string(token_block_.size()) + " tokens in " + std::to_string(n_blocks_) +
         " blocks)";
}

}  // namespace localist
