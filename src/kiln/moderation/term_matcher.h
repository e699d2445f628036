// Every lexicon term compiled into one Aho–Corasick automaton over
// normalised text (text_normalizer.h).
//
// Terms of space-separated scripts match whole words only: a term is
// compiled as " term " and the normalised text has a space around every word,
// so "class", "assessment", "Scunthorpe" and "cocktail" do not contain "ass",
// "cunt" or "cock", while "ass", "a$$" and "f.u.c.k" are those words. Terms
// with characters of scripts written without spaces (ja, zh, th) match as
// substrings.
//
// Repeated letters: the normaliser writes a run of one letter once and keeps
// its length; a match is kept when each letter's run in the text fits the
// term's: the same length, or 3+ in the text ("asssss" is "ass", "fuuuck" is
// "fuck"), or 2 where the term has 1 and the term has at least 4 letters
// ("fuuck"; not "good" for "god"). Leetspeak "1" is read as "i"; terms with
// an "l" are also compiled as normalised with every "l" written "1", so
// "s1ut" and "chi1d" match.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/moderation/aho_corasick.h"
#include "kiln/moderation/lexicon.h"
#include "kiln/moderation/text_normalizer.h"

namespace kiln {

struct TermMatch {
  uint32_t term_id = 0;          // index into TermMatcher::terms()
  std::string_view language;     // the term's list language (points into the matcher)
  TermCategory category = TermCategory::kUnknown;
  size_t begin = 0;              // byte span in the original text
  size_t end = 0;
  size_t normalized_begin = 0;   // byte span in NormalizedText::text
  size_t normalized_end = 0;
};

class TermMatcher {
 public:
  TermMatcher() = default;

  // Normalises and compiles `terms`. Terms that normalise to nothing (e.g. a
  // lone emoji the normaliser drops, or punctuation) are kept in terms() but
  // never match.
  static TermMatcher Build(std::vector<LexiconEntry> terms);

  // Appends the matches in `text` to `*out` (cleared first), ordered by end
  // in the normalised text. Thread-safe; allocates only when `*out` grows.
  void Match(const NormalizedText& text, std::vector<TermMatch>* out) const;
  std::vector<TermMatch> Match(std::string_view raw_text) const;

  const std::vector<LexiconEntry>& terms() const { return terms_; }
  const LexiconEntry& term(uint32_t id) const { return terms_[id]; }
  size_t pattern_count() const { return automaton_.pattern_count(); }

 private:
  struct Pattern {
    uint32_t term_id;
    uint32_t runs_offset;  // into runs_: the term's run per pattern byte
    uint16_t letters;      // code points that are not spaces
    bool spaced;           // compiled as " term ": the match's outer spaces are not reported
  };
  bool RunsFit(const Pattern& p, const NormalizedText& text, size_t begin) const;

  std::vector<LexiconEntry> terms_;
  std::vector<Pattern> patterns_;  // by automaton pattern id
  std::vector<uint8_t> runs_;
  AhoCorasick automaton_;
};

}  // namespace kiln
