// The sweep's written forms, exactly, for hand-made rows.
#include <gtest/gtest.h>

#include "localist/report/sweep_table.h"

namespace localist {
namespace {

// lambda, entropy, max-entropy, pointer, block, perplexity, accuracy, tokens, sparsity, seconds, run
std::vector<SweepRow> rows() {
  return {SweepRow{1.0, 1.5744, 4.6219, 0.30551, 0.98712, 30.2849, 0.12923, 10005, 0.125, 3, "runs/x"},
          SweepRow{0.25, 2.4, 4.6219, 0.2, 0.5, 5.815, 0.4307, 10005, 0, 4, "runs/a,b"}};
}

TEST(SweepTable, FormatsLambdaShortestWithADecimal) {
  EXPECT_EQ(format_lambda(1), "1.0");
  EXPECT_EQ(format_lambda(0), "0.0");
  EXPECT_EQ(format_lambda(0.8), "0.8");
  EXPECT_EQ(format_lambda(0.25), "0.25");
}

TEST(SweepTable, MarkdownIsExact) {
  EXPECT_EQ(sweep_markdown("Sweep, protocol inference.", rows()),
            "Sweep, protocol inference.\n\n"
            "| λ | entropy (bits) | max-entropy (bits) | pointer fidelity | block fidelity | "
            "perplexity | accuracy | tokens | R_W sparsity |\n"
            "|---|---|---|---|---|---|---|---|---|\n"
            "| 1.0 | 1.574 | 4.622 | 0.3055 | 0.9871 | 30.28 | 12.92 % | 10,005 | 0.125 |\n"
            "| 0.25 | 2.400 | 4.622 | 0.2000 | 0.5000 | 5.82 | 43.07 % | 10,005 | 0.000 |\n");
}

TEST(SweepTable, CsvIsExactAndQuotesPaths) {
  EXPECT_EQ(sweep_csv(rows()),
            "lambda,attention_entropy_bits,max_entropy_bits,pointer_fidelity,block_fidelity,"
            "perplexity,accuracy,tokens,weight_group_sparsity,run\n"
            "1.0,1.5744,4.6219,0.30551,0.98712,30.2849,0.12923,10005,0.125,runs/x\n"
            "0.25,2.4,4.6219,0.2,0.5,5.815,0.4307,10005,0,\"runs/a,b\"\n");
}

TEST(SweepTable, JsonRoundTripsTheRows) {
  const auto j = sweep_json({{"protocol", "inference"}}, rows());
  EXPECT_EQ(j["settings"]["protocol"], "inference");
  ASSERT_EQ(j["rows"].size(), 2u);
  const auto back = j["rows"][1].get<SweepRow>();
  EXPECT_EQ(back.lambda, 0.25);
  EXPECT_EQ(back.perplexity, 5.815);
  EXPECT_EQ(back.tokens, 10005);
  EXPECT_EQ(back.run, "runs/a,b");
}

}  // namespace
}  // namespace localist
