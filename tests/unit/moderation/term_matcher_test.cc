#include "kiln/moderation/term_matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kiln {
namespace {

const TermMatcher& LexiconMatcher() {
  static const TermMatcher* matcher = [] {
    StatusOr<std::vector<LexiconEntry>> entries = LoadModerationLexicon(std::string(KILN_SOURCE_DIR) + "/data");
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    return new TermMatcher(TermMatcher::Build(entries.ok() ? std::move(entries).value() : std::vector<LexiconEntry>{}));
  }();
  return *matcher;
}

TermMatcher SmallMatcher(std::vector<std::string> terms) {
  std::vector<LexiconEntry> entries;
  for (std::string& t : terms) entries.push_back(LexiconEntry{std::move(t), "en", "test", TermCategory::kUnknown, -1});
  return TermMatcher::Build(std::move(entries));
}

bool Hits(const TermMatcher& m, std::string_view text, std::string_view term) {
  for (const TermMatch& match : m.Match(text)) {
    if (m.term(match.term_id).term == term) return true;
  }
  return false;
}

std::vector<std::string> HitTerms(const TermMatcher& m, std::string_view text) {
  std::vector<std::string> terms;
  for (const TermMatch& match : m.Match(text)) terms.push_back(m.term(match.term_id).term);
  return terms;
}

TEST(TermMatcherTest, RespectsWordBoundaries) {
  const TermMatcher& m = LexiconMatcher();
  for (const char* clean : {"class", "assessment", "Scunthorpe", "cocktail", "therapist", "grape", "passage",
                            "bass guitar", "Essex", "analysis", "a glass of water", "shitake"}) {
    EXPECT_FALSE(Hits(m, clean, "ass")) << clean;
    EXPECT_FALSE(Hits(m, clean, "cunt")) << clean;
    EXPECT_FALSE(Hits(m, clean, "cock")) << clean;
    EXPECT_FALSE(Hits(m, clean, "rapist")) << clean;
    EXPECT_FALSE(Hits(m, clean, "rape")) << clean;
    EXPECT_FALSE(Hits(m, clean, "anal")) << clean;
    EXPECT_FALSE(Hits(m, clean, "shit")) << clean;
  }
  for (const char* clean : {"class", "assessment", "Scunthorpe", "cocktail", "therapist", "grape"}) {
    EXPECT_EQ(HitTerms(m, clean), std::vector<std::string>{}) << clean;
  }
}

TEST(TermMatcherTest, FindsObfuscatedSpellings) {
  const TermMatcher& m = LexiconMatcher();
  for (const char* text : {"ass", "a$$", "@ss", "A S S", "asssss", "what an ass!"}) EXPECT_TRUE(Hits(m, text, "ass")) << text;
  for (const char* text : {"fuck", "f.u.c.k", "F U C K", "f-u-c-k", "fuuuuck", "fuuck", "ｆｕｃｋ", "fu\u200Bck",
                           "fu\u0441k", "FÜCK"}) {
    EXPECT_TRUE(Hits(m, text, "fuck")) << text;
  }
  EXPECT_TRUE(Hits(m, "sh!t", "shit"));
  EXPECT_TRUE(Hits(m, "s1ut", "slut"));
  EXPECT_TRUE(Hits(m, "s|ut", "slut"));
  EXPECT_TRUE(Hits(m, "pr0n p0rn", "porn"));
  EXPECT_TRUE(Hits(m, "\u0455\u0435\u0445", "sex"));  // Cyrillic look-alikes
  EXPECT_FALSE(Hits(m, "as", "ass"));                  // a run shorter than the term's is another word
}

TEST(TermMatcherTest, MatchesScriptsWithoutSpacesAsSubstrings) {
  const TermMatcher& m = LexiconMatcher();
  EXPECT_TRUE(Hits(m, "これはセックスです", "セックス"));
  const std::vector<TermMatch> matches = m.Match("これはセックスです");
  bool found = false;
  for (const TermMatch& match : matches) {
    if (m.term(match.term_id).term == "セックス") {
      found = true;
      EXPECT_EQ(match.language, "ja");
      EXPECT_EQ(std::string("これはセックスです").substr(match.begin, match.end - match.begin), "セックス");
    }
  }
  EXPECT_TRUE(found);
}

TEST(TermMatcherTest, ReportsLanguageCategoryAndOriginalSpan) {
  const TermMatcher& m = LexiconMatcher();
  const std::string text = "I said F.U.C.K loudly";
  bool found = false;
  for (const TermMatch& match : m.Match(text)) {
    const LexiconEntry& entry = m.term(match.term_id);
    if (entry.term != "fuck" || entry.source != "naughty-words" || entry.language != "en") continue;
    found = true;
    EXPECT_EQ(match.language, "en");
    EXPECT_EQ(match.category, TermCategory::kProfanity);
    EXPECT_EQ(text.substr(match.begin, match.end - match.begin), "F.U.C.K");
  }
  EXPECT_TRUE(found);
}

TEST(TermMatcherTest, RepeatedLetterRules) {
  const TermMatcher m = SmallMatcher({"god", "fuck", "ass", "xxx", "2 girls 1 cup", "kill"});
  EXPECT_TRUE(Hits(m, "ki11", "kill"));  // "1" for "l" twice: "ii" is a double letter like "ll"
  EXPECT_TRUE(Hits(m, "KILL", "kill"));
  EXPECT_FALSE(Hits(m, "kil", "kill"));
  EXPECT_TRUE(Hits(m, "god", "god"));
  EXPECT_FALSE(Hits(m, "good", "god"));     // a double letter in a short term is a different word
  EXPECT_TRUE(Hits(m, "gooood", "god"));    // 3+ is stretching
  EXPECT_TRUE(Hits(m, "fuuck", "fuck"));
  EXPECT_FALSE(Hits(m, "as", "ass"));
  EXPECT_TRUE(Hits(m, "asss", "ass"));
  EXPECT_TRUE(Hits(m, "xxx", "xxx"));
  EXPECT_FALSE(Hits(m, "x", "xxx"));
  EXPECT_TRUE(Hits(m, "2 girls 1 cup", "2 girls 1 cup"));
  EXPECT_FALSE(Hits(m, "2 girls 11 cup", "2 girls 1 cup"));
}

TEST(TermMatcherTest, TermsThatNormaliseToNothingNeverMatch) {
  const TermMatcher m = SmallMatcher({"...", "", "ok"});
  EXPECT_EQ(m.terms().size(), 3u);
  EXPECT_EQ(HitTerms(m, "... ok"), std::vector<std::string>{"ok"});
}

TEST(TermMatcherTest, ReusesTheOutputVector) {
  const TermMatcher m = SmallMatcher({"a"});
  std::vector<TermMatch> out;
  const NormalizedText n = NormalizeText("a bc a");
  m.Match(n, &out);
  EXPECT_EQ(out.size(), 2u);
  m.Match(NormalizeText("b"), &out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace kiln
