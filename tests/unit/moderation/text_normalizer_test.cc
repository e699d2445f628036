#include "kiln/moderation/text_normalizer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace kiln {
namespace {

std::string Norm(std::string_view s) { return NormalizeText(s).text; }

// The normalised text with each character written as often as it stood in a row.
std::string WithRuns(const NormalizedText& n) {
  std::string out;
  size_t i = 0;
  while (i < n.text.size()) {
    size_t len = 1;
    while (i + len < n.text.size() && (static_cast<uint8_t>(n.text[i + len]) & 0xC0) == 0x80) ++len;
    for (int r = 0; r < n.run[i]; ++r) out.append(n.text, i, len);
    i += len;
  }
  return out;
}

TEST(TextNormalizerTest, WordsAreSeparatedBySingleSpacesWithSpacesAtBothEnds) {
  EXPECT_EQ(Norm(""), " ");
  EXPECT_EQ(Norm("   "), " ");
  EXPECT_EQ(Norm("Hello,   World!"), " helo world ");  // "ll": one l, run 2
  EXPECT_EQ(Norm("a photo of a cat\n\ton a mat."), " a photo of a cat on a mat ");
}

TEST(TextNormalizerTest, CaseFoldsAndAppliesNfkc) {
  EXPECT_EQ(Norm("FUCK"), " fuck ");
  EXPECT_EQ(Norm("ＦＵＣＫ"), " fuck ");             // fullwidth
  EXPECT_EQ(Norm("ﬁne"), " fine ");                  // ligature
  EXPECT_EQ(Norm("Straße"), " strase ");             // ß folds to ss, written once with run 2
  EXPECT_EQ(WithRuns(NormalizeText("Straße")), " strasse ");
  EXPECT_EQ(Norm("ΑΒΓ"), " aby ");                   // Greek capitals fold, then look-alikes
}

TEST(TextNormalizerTest, RemovesAccents) {
  EXPECT_EQ(Norm("Café Über naïve Ñandú"), " cafe uber naive nandu ");
  EXPECT_EQ(Norm("cafe\u0301"), " cafe ");  // a separate combining accent
  EXPECT_EQ(Norm("écolière"), " ecoliere ");
}

TEST(TextNormalizerTest, KeepsMarksThatArePartsOfLetters) {
  // Thai vowel signs are marks; dropping them would change the word.
  EXPECT_EQ(Norm("เด็ก"), " เด็ก ");
  EXPECT_EQ(Norm("ガ"), " ガ ");
  EXPECT_EQ(Norm("ｶﾞ"), " カ\u3099 ");  // halfwidth: NFKC per character, the voicing mark kept
}

TEST(TextNormalizerTest, ReadsLeetspeakInsideWords) {
  EXPECT_EQ(Norm("t33n"), " ten ");
  EXPECT_EQ(WithRuns(NormalizeText("t33n")), " teen ");
  EXPECT_EQ(WithRuns(NormalizeText("a$$")), " ass ");
  EXPECT_EQ(Norm("sh!t"), " shit ");
  EXPECT_EQ(Norm("pr0n"), " pron ");
  EXPECT_EQ(Norm("@ss"), " as ");
  EXPECT_EQ(Norm("5ex"), " sex ");
  EXPECT_EQ(Norm("s3xy"), " sexy ");
  EXPECT_EQ(Norm("b00bs"), " bobs ");
  EXPECT_EQ(Norm("|ame"), " ame ");   // "|" at a word's edge is punctuation
  EXPECT_EQ(Norm("wow!"), " wow ");
  EXPECT_EQ(Norm("c++ code"), " c code ");
  EXPECT_EQ(Norm("n€rd"), " nerd ");
}

TEST(TextNormalizerTest, KeepsNumbers) {
  EXPECT_EQ(Norm("12 year old"), " 12 year old ");
  EXPECT_EQ(Norm("12-year-old"), " 12 year old ");
  EXPECT_EQ(Norm("12yo"), " 12 yo ");
  EXPECT_EQ(Norm("7yo"), " 7 yo ");
  EXPECT_EQ(Norm("12 y/o"), " 12 y o ");
  EXPECT_EQ(Norm("under 18+"), " under 18 ");
  EXPECT_EQ(Norm("1080p 4k"), " 1080 p 4 k ");
  EXPECT_EQ(Norm("teen18"), " ten 18 ");
  EXPECT_EQ(Norm("a55"), " as ");
  EXPECT_EQ(Norm("$100 bill"), " 100 bil ");
  EXPECT_EQ(Norm("2 girls 1 cup"), " 2 girls 1 cup ");
  EXPECT_EQ(Norm("100 years"), " 100 years ");  // digits never merge into runs
}

TEST(TextNormalizerTest, JoinsSpelledOutWords) {
  EXPECT_EQ(Norm("s.e.x"), " sex ");
  EXPECT_EQ(Norm("s e x"), " sex ");
  EXPECT_EQ(Norm("s-e-x"), " sex ");
  EXPECT_EQ(Norm("S_E_X"), " sex ");
  EXPECT_EQ(Norm("f.u.c.k you"), " fuck you ");
  EXPECT_EQ(Norm("a n.u.d.e teen"), " a nude ten ");  // the article keeps its own word
  EXPECT_EQ(Norm("n.u.d.3"), " nude ");
  // Ordinary single letters stay words.
  EXPECT_EQ(Norm("I am a cat"), " i am a cat ");
  EXPECT_EQ(Norm("plan b is a go"), " plan b is a go ");
  EXPECT_EQ(Norm("x.com"), " x com ");
  EXPECT_EQ(Norm("1 2 3"), " 1 2 3 ");
}

TEST(TextNormalizerTest, CollapsesRepeatedLettersAndKeepsTheirCount) {
  const NormalizedText n = NormalizeText("fuuuuck");
  EXPECT_EQ(n.text, " fuck ");
  EXPECT_EQ(n.run[2], 4);  // the u
  EXPECT_EQ(WithRuns(n), " fuuuuck ");
  EXPECT_EQ(Norm("class"), " clas ");
  EXPECT_EQ(Norm("aa a"), " a a ");  // never across words
}

TEST(TextNormalizerTest, MapsHomoglyphs) {
  EXPECT_EQ(Norm("\u0455\u0435\u0445"), " sex ");          // Cyrillic ѕех
  EXPECT_EQ(Norm("nud\u0435"), " nude ");                   // Cyrillic е
  EXPECT_EQ(Norm("\u03C1\u03BFrn"), " porn ");              // Greek ρο
  EXPECT_EQ(Norm("\u0410\u0421\u0415"), " ace ");           // Cyrillic capitals fold first
  EXPECT_EQ(Norm("\u0131diot"), " idiot ");                 // dotless i
}

TEST(TextNormalizerTest, DropsZeroWidthCharacters) {
  EXPECT_EQ(Norm("nu\u200Bde"), " nude ");
  EXPECT_EQ(Norm("nu\u200Dd\u2060e\uFEFF"), " nude ");
  EXPECT_EQ(Norm("nu\u00ADde"), " nude ");  // soft hyphen
}

TEST(TextNormalizerTest, DropsInvalidUtf8) {
  EXPECT_EQ(Norm("nu\xff" "de"), " nude ");
  EXPECT_EQ(Norm("nude\xc3"), " nude ");
  EXPECT_EQ(Norm("\xed\xa0\x80x"), " x ");  // an encoded surrogate
  EXPECT_EQ(Norm(std::string("a\0b", 3)), " a b ");
}

TEST(TextNormalizerTest, SeparatesScriptsWithoutSpacesFromLatinWords) {
  EXPECT_EQ(Norm("裸の少女"), " 裸の少女 ");
  EXPECT_EQ(Norm("ロリsex"), " ロリ sex ");
  EXPECT_EQ(Norm("12歳"), " 12 歳 ");
  EXPECT_TRUE(HasNoSpaceScript(Norm("少女")));
  EXPECT_FALSE(HasNoSpaceScript(Norm("девочка")));
}

TEST(TextNormalizerTest, MapsBackToTheOriginalBytes) {
  const std::string input = "Hi ＷＯＲＬＤ, s.e.x!";
  const NormalizedText n = NormalizeText(input);
  ASSERT_EQ(n.text, " hi world sex ");
  size_t b = 0, e = 0;
  n.SourceSpan(4, 9, &b, &e);  // "world"
  EXPECT_EQ(input.substr(b, e - b), "ＷＯＲＬＤ");
  n.SourceSpan(10, 13, &b, &e);  // "sex"
  EXPECT_EQ(input.substr(b, e - b), "s.e.x");
  const NormalizedText f = NormalizeText("a fuuuck");
  f.SourceSpan(3, 7, &b, &e);
  EXPECT_EQ(std::string("a fuuuck").substr(b, e - b), "fuuuck");
}

TEST(TextNormalizerTest, ArbitraryBytesKeepTheInvariants) {
  std::mt19937 rng(7);
  NormalizedText n;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string input(rng() % 64, '\0');
    for (char& c : input) c = static_cast<char>(rng() % 4 == 0 ? rng() % 128 : rng() % 256);
    NormalizeText(input, &n);
    ASSERT_FALSE(n.text.empty());
    ASSERT_EQ(n.text.front(), ' ');
    ASSERT_EQ(n.text.back(), ' ');
    ASSERT_EQ(n.source_begin.size(), n.text.size());
    ASSERT_EQ(n.source_end.size(), n.text.size());
    ASSERT_EQ(n.run.size(), n.text.size());
    ASSERT_EQ(n.text.find("  "), std::string::npos);
    for (size_t i = 0; i < n.text.size(); ++i) {
      ASSERT_LE(n.source_begin[i], n.source_end[i]);
      ASSERT_LE(n.source_end[i], input.size());
      ASSERT_GE(n.run[i], 1);
    }
  }
}

}  // namespace
}  // namespace kiln
