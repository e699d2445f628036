// libFuzzer target: the moderation text normaliser and the lexicon matcher
// on arbitrary bytes (invalid UTF-8 included). Whatever the input: no crash,
// the normalised text keeps its invariants (" ... " with single spaces, one
// source range and run per byte, ranges inside the input), and every match's
// spans lie inside the texts they point into.
//
// The matcher is built once from the repository's lexicons (KILN_DATA_DIR,
// default "data": run from the repository root); without them, from a few
// built-in terms so the target still runs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "kiln/moderation/lexicon.h"
#include "kiln/moderation/minor_sexual_rule.h"
#include "kiln/moderation/term_matcher.h"
#include "kiln/moderation/text_normalizer.h"

namespace {

const kiln::TermMatcher& Matcher() {
  static const kiln::TermMatcher* matcher = [] {
    const char* dir = std::getenv("KILN_DATA_DIR");
    kiln::StatusOr<std::vector<kiln::LexiconEntry>> entries = kiln::LoadModerationLexicon(dir ? dir : "data");
    std::vector<kiln::LexiconEntry> terms;
    if (entries.ok()) {
      terms = std::move(entries).value();
    } else {
      for (const char* t : {"ass", "fuck", "sex", "nude", "teen", "12 year old", "セックス", "少女", "ѕех"}) {
        terms.push_back(kiln::LexiconEntry{t, "en", "fuzz", kiln::TermCategory::kSexual, -1});
      }
    }
    return new kiln::TermMatcher(kiln::TermMatcher::Build(std::move(terms)));
  }();
  return *matcher;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static kiln::NormalizedText n;  // reused, as the server reuses it
  kiln::NormalizeText(input, &n);
  const std::string& t = n.text;
  if (t.empty() || t.front() != ' ' || t.back() != ' ' || t.find("  ") != std::string::npos) std::abort();
  if (n.source_begin.size() != t.size() || n.source_end.size() != t.size() || n.run.size() != t.size()) std::abort();
  for (size_t i = 0; i < t.size(); ++i) {
    if (n.source_begin[i] > n.source_end[i] || n.source_end[i] > size || n.run[i] == 0) std::abort();
  }
  std::vector<kiln::TermMatch> matches;
  Matcher().Match(n, &matches);
  for (const kiln::TermMatch& m : matches) {
    if (m.begin > m.end || m.end > size || m.normalized_begin >= m.normalized_end || m.normalized_end > t.size()) {
      std::abort();
    }
    if (m.term_id >= Matcher().terms().size()) std::abort();
  }
  (void)kiln::EvaluateMinorSexualRule(matches);
  return 0;
}
