#include "localist/report/explain_table.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "localist/report/text_format.h"

namespace localist {

namespace {

// One line: the token's own columns when `first`, then one head's (or the mean's) attention.
void print_line(const ExplainTable& t, const ExplainedToken& r, const HeadExplanation& e,
                const std::string& head_name, bool first) {
  const auto& blocks = t.blocks;
  const auto& tok = t.tokenizer;
  const int64_t pos = r.offset + r.e.position;
  std::string blk = blocks.block_name(r.e.block) + ">" +
                    (r.e.target < 0 ? std::string("-") : blocks.block_name(r.e.target));
  std::string top_block = blocks.block_name(e.top_block) + " (" + fixed(e.top_block_mass) + ")";
  std::string anchor = "-";
  if (e.top_anchor >= 0)
    anchor = cell(tok.token_text(t.ids[r.offset + e.top_anchor]), 8) + " @" +
             std::to_string(r.offset + e.top_anchor) + " (" + blocks.block_name(e.top_anchor_block) +
             ", " + fixed(e.top_anchor_mass) + ")";
  std::string predicted, actual;
  if (first) {
    predicted = cell(tok.token_text(r.p.predicted)) + " (" + fixed(r.p.predicted_p) + ")";
    actual = r.p.next < 0 ? "(end)" : cell(tok.token_text(r.p.next)) + " (" + fixed(r.p.next_p) + ")";
  }
  char buf[512];
  std::snprintf(buf, sizeof buf, "%5s %-10s %-7s %-5s %-13s %-6s %-26s %-7s %-5s | %-18s %s",
                first ? std::to_string(pos).c_str() : "", first ? cell(tok.token_text(r.token)).c_str() : "",
                first ? blk.c_str() : "", head_name.c_str(), top_block.c_str(), fixed(e.target_mass).c_str(),
                anchor.c_str(), fixed(e.target_anchor_mass).c_str(), fixed(e.entropy_bits, 2).c_str(),
                predicted.c_str(), actual.c_str());
  std::string line = buf;
  line.erase(line.find_last_not_of(' ') + 1);  // per-head rows end in blank columns
  std::printf("%s\n", line.c_str());
}

}  // namespace

void print_explain_table(const ExplainTable& t) {
  std::printf("columns (docs/explain.md): blk>tgt = block beta(t) > target b(t); top block (mass); "
              "target = mass on the target block;\n  top anchor = most-attended anchor @position "
              "(its block, mass); anchors = mass on the target's anchors; H = entropy, bits;\n  "
              "predicted (p) and the actual next token (p), once per token; 'all' = mean of %lld "
              "layers x %lld heads, LxHy = layer x head y\n\n",
              static_cast<long long>(t.n_layer), static_cast<long long>(t.n_head));
  std::printf("%5s %-10s %-7s %-5s %-13s %-6s %-26s %-7s %-5s | %-18s %s\n", "pos", "token", "blk>tgt",
              "head", "top block", "target", "top anchor", "anchors", "H", "predicted (p)",
              "actual next (p)");
  const int64_t n = static_cast<int64_t>(t.ids.size());
  const bool all_heads = t.shown.size() == static_cast<size_t>(t.n_layer * t.n_head);
  for (const auto& r : t.explained.rows) {
    if (r.e.position == 0 && t.explained.windows > 1)
      std::printf("-- window %lld: positions %lld..%lld\n", static_cast<long long>(r.window),
                  static_cast<long long>(r.offset), static_cast<long long>(std::min(r.offset + t.context, n) - 1));
    bool first = true;
    if (all_heads) {  // the mean first; per-head rows unless summary
      print_line(t, r, r.e.mean, "all", true);
      first = false;
    }
    if (t.summary) continue;
    for (auto [l, h] : t.shown) {
      print_line(t, r, r.e.heads[l][h], "L" + std::to_string(l) + "H" + std::to_string(h), first);
      first = false;
    }
  }
}

}  // namespace localist
