// Domains found without labels: chunks of whole lines, clustered by their byte profiles,
// separate two texts with different alphabets exactly; k-means itself on a hand-made case.
#include <gtest/gtest.h>

#include "localist/core/errors.h"
#include "localist/hierarchy/domain_clusters.h"
#include "localist/recruit/kmeans.h"

namespace localist {
namespace {

std::string lines(const std::string& word, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += word + " " + std::to_string(i % 7) + "\n";
  return s;
}

TEST(DomainClusters, ChunksAreWholeLinesAndCoverTheText) {
  const std::string text = lines("abc", 50);
  const auto chunks = line_chunks(text, 40);
  std::string joined;
  for (const auto& c : chunks) {
    joined += c;
    EXPECT_EQ(c.back(), '\n');
  }
  EXPECT_EQ(joined, text);
  EXPECT_GE(chunks.front().size(), 40u);
  EXPECT_THROW(line_chunks(text, 0), ConfigError);
}

TEST(DomainClusters, SeparateTwoAlphabets) {
  // interleaved blocks of two "domains", so order alone cannot separate them
  std::string text;
  std::vector<int> truth;
  for (int b = 0; b < 20; ++b) {
    const bool second = (b * 7) % 3 == 0;
    text += lines(second ? "xyz qrs" : "the cat", 10);
    truth.push_back(second);
  }
  const auto d = cluster_domains(text, 100, 2);  // 10 lines of 10 characters: one stretch
  ASSERT_EQ(d.chunks.size(), truth.size());
  for (size_t i = 0; i < truth.size(); ++i)
    EXPECT_EQ(d.cluster[i] == d.cluster[0], truth[i] == truth[0]) << i;
  EXPECT_EQ(d.cluster[0], 0);  // numbered by first appearance
  const auto n = d.sizes();
  EXPECT_EQ(n[0] + n[1], 20);
  EXPECT_THROW(cluster_domains("one line\n", 90, 2), ConfigError);
}

TEST(KMeans, FindsTheObviousClusters) {
  auto p = torch::tensor({0.0, 0.1, 10.0, 10.2, 20.0, 20.1}, torch::kDouble).unsqueeze(1);
  const auto km = kmeans(p, 3, 8, 50, 1);
  auto a = km.assign.accessor<int64_t, 1>();
  EXPECT_EQ(a[0], a[1]);
  EXPECT_EQ(a[2], a[3]);
  EXPECT_EQ(a[4], a[5]);
  EXPECT_NE(a[0], a[2]);
  EXPECT_NE(a[2], a[4]);
  EXPECT_NEAR(km.within, 0.005 + 0.02 + 0.005, 1e-12);
  EXPECT_THROW(kmeans(p, 7, 1, 1, 1), ConfigError);
}

}  // namespace
}  // namespace localist
