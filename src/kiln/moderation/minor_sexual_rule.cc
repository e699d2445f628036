#include "kiln/moderation/minor_sexual_rule.h"

namespace kiln {

MinorSexualFinding EvaluateMinorSexualRule(std::span<const TermMatch> matches) {
  MinorSexualFinding finding;
  for (const TermMatch& m : matches) {
    if (m.category == TermCategory::kMinor) finding.minor.push_back(m);
    if (m.category == TermCategory::kSexual) finding.sexual.push_back(m);
  }
  // A word that is on both lists ("lolita", "shota": a novel, a fashion, a
  // genre) is not both signals at once; it needs a second word.
  for (const TermMatch& m : finding.minor) {
    for (const TermMatch& s : finding.sexual) {
      if (s.normalized_begin != m.normalized_begin || s.normalized_end != m.normalized_end) finding.blocked = true;
    }
  }
  return finding;
}

MinorSexualFinding CheckMinorSexual(const TermMatcher& matcher, const NormalizedText& text) {
  std::vector<TermMatch> matches;
  matcher.Match(text, &matches);
  return EvaluateMinorSexualRule(matches);
}

}  // namespace kiln
