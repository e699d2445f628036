#include "kiln/moderation/aho_corasick.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace kiln {
namespace {

using Hits = std::vector<std::pair<uint32_t, size_t>>;  // (pattern, end)

Hits FindAll(const AhoCorasick& ac, std::string_view text) {
  Hits hits;
  ac.ForEachMatch(text, [&](uint32_t id, size_t end) { hits.emplace_back(id, end); });
  std::sort(hits.begin(), hits.end());
  return hits;
}

Hits BruteForce(const std::vector<std::string>& patterns, std::string_view text) {
  Hits hits;
  for (uint32_t id = 0; id < patterns.size(); ++id) {
    if (patterns[id].empty()) continue;
    for (size_t pos = text.find(patterns[id]); pos != std::string_view::npos; pos = text.find(patterns[id], pos + 1)) {
      hits.emplace_back(id, pos + patterns[id].size());
    }
  }
  std::sort(hits.begin(), hits.end());
  return hits;
}

TEST(AhoCorasickTest, FindsOverlappingPatterns) {
  AhoCorasickBuilder b;
  const uint32_t he = b.Add("he");
  const uint32_t she = b.Add("she");
  const uint32_t his = b.Add("his");
  const uint32_t hers = b.Add("hers");
  const AhoCorasick ac = b.Build();
  EXPECT_EQ(ac.pattern_count(), 4u);
  EXPECT_EQ(ac.pattern_length(hers), 4u);
  const Hits hits = FindAll(ac, "ushers");
  EXPECT_EQ(hits, (Hits{{he, 4}, {she, 4}, {hers, 6}}));
  EXPECT_TRUE(FindAll(ac, "hi").empty());
  (void)his;
}

TEST(AhoCorasickTest, ReportsLongestFirstAtTheSameEnd) {
  AhoCorasickBuilder b;
  b.Add("c");
  b.Add("abc");
  b.Add("bc");
  const AhoCorasick ac = b.Build();
  std::vector<uint32_t> order;
  ac.ForEachMatch("abc", [&](uint32_t id, size_t) { order.push_back(id); });
  EXPECT_EQ(order, (std::vector<uint32_t>{1, 2, 0}));
}

TEST(AhoCorasickTest, EmptyAndDuplicatePatterns) {
  AhoCorasickBuilder b;
  const uint32_t empty = b.Add("");
  const uint32_t x1 = b.Add("x");
  const uint32_t x2 = b.Add("x");
  const AhoCorasick ac = b.Build();
  EXPECT_EQ(empty, 0u);
  EXPECT_EQ(FindAll(ac, "x"), (Hits{{x1, 1}, {x2, 1}}));
  EXPECT_TRUE(FindAll(AhoCorasick(), "anything").empty());
}

TEST(AhoCorasickTest, MatchesBytesAboveAscii) {
  AhoCorasickBuilder b;
  b.Add("少女");
  b.Add(std::string_view("\xff\x00\x80", 3));
  const AhoCorasick ac = b.Build();
  EXPECT_EQ(FindAll(ac, "裸の少女"), (Hits{{0, 12}}));
  EXPECT_EQ(FindAll(ac, std::string_view("a\xff\x00\x80", 4)), (Hits{{1, 4}}));
}

TEST(AhoCorasickTest, AgreesWithBruteForceOnRandomText) {
  std::mt19937 rng(3);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::string> patterns;
    AhoCorasickBuilder b;
    for (int k = 0; k < 30; ++k) {
      std::string p(rng() % 5, 'a');
      for (char& c : p) c = static_cast<char>('a' + rng() % 3);
      patterns.push_back(p);
      b.Add(p);
    }
    const AhoCorasick ac = b.Build();
    std::string text(200, 'a');
    for (char& c : text) c = static_cast<char>('a' + rng() % 4);
    ASSERT_EQ(FindAll(ac, text), BruteForce(patterns, text)) << "round " << round;
  }
}

}  // namespace
}  // namespace kiln
