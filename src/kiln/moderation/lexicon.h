// The term lists of text moderation, read from the data directory:
//
//   lexicons/naughty-words/<lang>.txt   one term per line (LDNOOBW, CC BY 4.0)
//   lexicons/cuss/en.tsv                term<TAB>rating (0-2, the package's "sureness";
//                                       rating 0, ordinary words, is skipped)
//   moderation/lexicon_categories.tsv   lang<TAB>category<TAB>term: Kiln's categories
//                                       for the lists above ("*" = every naughty-words
//                                       term of that language not listed otherwise)
//   moderation/minor_terms.txt          lang<TAB>term: words that point at a minor;
//                                       "{age}" expands to 1..17, "{age_en}" to one..seventeen
//   moderation/sexual_terms.txt         lang<TAB>term: non-graphic sexual words
//
// Loaded from files rather than embedded in the binary: the lists are data
// that reviewers read and edit, and they ship with their licence and
// attribution files beside them (CC BY 4.0 asks for that). The directory is
// configurable; nothing is read from ../shared.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/status.h"

namespace kiln {

enum class TermCategory {
  kUnknown = 0,  // listed, but nobody said why
  kSexual,
  kMinor,  // points at a child or teenager (not a violation on its own)
  kHate,
  kProfanity,
  kViolence,
  kOther,  // on a list, but ordinary in most prompts ("cornhole", "escort")
};

std::string_view TermCategoryName(TermCategory category);
// Accepts the names above ("sexual", "minor", ...); InvalidArgument otherwise.
StatusOr<TermCategory> ParseTermCategory(std::string_view name);

struct LexiconEntry {
  std::string term;      // as written in the file
  std::string language;  // the list's language code ("en", "ja", "fr-CA-u-sd-caqc")
  std::string source;    // "naughty-words", "cuss", "minor_terms", "sexual_terms"
  TermCategory category = TermCategory::kUnknown;
  int rating = -1;  // cuss's 1-2, -1 where the list has none
};

// Reads every list above from `data_dir` (e.g. "data"). A missing or
// malformed file is an error naming the file and line.
StatusOr<std::vector<LexiconEntry>> LoadModerationLexicon(const std::string& data_dir);

// The pieces, for tests and tools.
StatusOr<std::vector<LexiconEntry>> LoadTermList(const std::string& path, std::string_view source,
                                                 TermCategory category);
// Expands "{age}" (1..17) and "{age_en}" (one..seventeen) in `term`; a term
// without placeholders comes back alone.
std::vector<std::string> ExpandAgeTemplate(std::string_view term);

}  // namespace kiln
