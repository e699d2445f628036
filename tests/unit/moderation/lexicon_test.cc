#include "kiln/moderation/lexicon.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

namespace kiln {
namespace {

const std::string kDataDir = std::string(KILN_SOURCE_DIR) + "/data";

const LexiconEntry* Find(const std::vector<LexiconEntry>& entries, std::string_view source, std::string_view lang,
                         std::string_view term) {
  for (const LexiconEntry& e : entries) {
    if (e.source == source && e.language == lang && e.term == term) return &e;
  }
  return nullptr;
}

TEST(LexiconTest, LoadsEveryListFromTheRepository) {
  StatusOr<std::vector<LexiconEntry>> loaded = LoadModerationLexicon(kDataDir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const std::vector<LexiconEntry>& entries = *loaded;
  const auto count = [&](std::string_view source) {
    return std::count_if(entries.begin(), entries.end(), [&](const LexiconEntry& e) { return e.source == source; });
  };
  EXPECT_EQ(count("naughty-words"), 2666);  // data/lexicons/README.md
  EXPECT_EQ(count("cuss"), 1795 - 255);  // rating 0 (ordinary words) skipped
  EXPECT_GT(count("minor_terms"), 300);     // with the ages expanded
  EXPECT_GT(count("sexual_terms"), 100);
  std::vector<std::string> languages;
  for (const LexiconEntry& e : entries) {
    if (e.source == "naughty-words") languages.push_back(e.language);
  }
  std::sort(languages.begin(), languages.end());
  languages.erase(std::unique(languages.begin(), languages.end()), languages.end());
  EXPECT_EQ(languages.size(), 28u);
}

TEST(LexiconTest, AssignsCategoriesAndRatings) {
  StatusOr<std::vector<LexiconEntry>> loaded = LoadModerationLexicon(kDataDir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const std::vector<LexiconEntry>& e = *loaded;
  ASSERT_NE(Find(e, "naughty-words", "en", "nude"), nullptr);
  EXPECT_EQ(Find(e, "naughty-words", "en", "nude")->category, TermCategory::kSexual);
  EXPECT_EQ(Find(e, "naughty-words", "en", "cornhole")->category, TermCategory::kOther);
  EXPECT_EQ(Find(e, "naughty-words", "en", "ass")->category, TermCategory::kProfanity);
  EXPECT_EQ(Find(e, "cuss", "en", "ass")->category, TermCategory::kProfanity);  // exact lines apply to every list
  EXPECT_EQ(Find(e, "naughty-words", "ja", "ヌード")->category, TermCategory::kUnknown);
  EXPECT_EQ(Find(e, "cuss", "en", "adult"), nullptr);  // rating 0
  ASSERT_NE(Find(e, "cuss", "en", "addict"), nullptr);
  EXPECT_EQ(Find(e, "cuss", "en", "addict")->rating, 1);
  EXPECT_EQ(Find(e, "naughty-words", "en", "nude")->rating, -1);
  ASSERT_NE(Find(e, "minor_terms", "en", "12 year old"), nullptr);
  EXPECT_EQ(Find(e, "minor_terms", "en", "12 year old")->category, TermCategory::kMinor);
  EXPECT_EQ(Find(e, "minor_terms", "en", "18 year old"), nullptr);
  ASSERT_NE(Find(e, "sexual_terms", "de", "nackt"), nullptr);
  EXPECT_EQ(Find(e, "sexual_terms", "de", "nackt")->category, TermCategory::kSexual);
}

TEST(LexiconTest, ExpandsAgeTemplates) {
  const std::vector<std::string> ages = ExpandAgeTemplate("{age} year old");
  ASSERT_EQ(ages.size(), 17u);
  EXPECT_EQ(ages.front(), "1 year old");
  EXPECT_EQ(ages.back(), "17 year old");
  const std::vector<std::string> words = ExpandAgeTemplate("a {age_en}-year-old");
  ASSERT_EQ(words.size(), 17u);
  EXPECT_EQ(words[11], "a twelve-year-old");
  EXPECT_EQ(ExpandAgeTemplate("child"), std::vector<std::string>{"child"});
}

TEST(LexiconTest, CategoryNamesRoundTrip) {
  for (TermCategory c : {TermCategory::kUnknown, TermCategory::kSexual, TermCategory::kMinor, TermCategory::kHate,
                         TermCategory::kProfanity, TermCategory::kViolence, TermCategory::kOther}) {
    StatusOr<TermCategory> parsed = ParseTermCategory(TermCategoryName(c));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, c);
  }
  EXPECT_EQ(ParseTermCategory("nope").status().code(), StatusCode::kInvalidArgument);
}

TEST(LexiconTest, BadFilesAreErrorsNamingTheFile) {
  EXPECT_EQ(LoadModerationLexicon("/nonexistent-kiln-dir").status().code(), StatusCode::kNotFound);
  const std::string path = (std::filesystem::temp_directory_path() / "kiln_lexicon_test_terms.txt").string();
  {
    std::ofstream(path) << "# comment\nen\tfine\nno tab here\n";
  }
  StatusOr<std::vector<LexiconEntry>> bad = LoadTermList(path, "test", TermCategory::kSexual);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find(path + ":3"), std::string::npos) << bad.status().message();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace kiln
