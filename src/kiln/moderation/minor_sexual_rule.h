// The sexual/minors rule: a prompt that points at a minor and has a sexual
// signal is blocked at every safety_tolerance, whatever the tenant's policy.
//
// Minor indicators are the kMinor terms (data/moderation/minor_terms.txt:
// child, teen, schoolgirl, "12 year old", "12yo", "under 18", and their
// equivalents in de, fr, es, it, pt, nl, ru, ja, zh, th); sexual signals are
// the kSexual terms (the lexicon entries Kiln categorised as sexual, plus
// data/moderation/sexual_terms.txt: nude, naked, erotic, lingerie, ... in
// the same languages). Both come from the one TermMatcher, so the rule costs
// nothing beyond the match every prompt gets anyway. Matching on normalised
// text makes "n.u.d.e t33n" and Cyrillic look-alikes count.
#pragma once

#include <span>
#include <vector>

#include "kiln/moderation/term_matcher.h"
#include "kiln/moderation/text_normalizer.h"

namespace kiln {

struct MinorSexualFinding {
  bool blocked = false;  // both a minor indicator and a sexual signal
  std::vector<TermMatch> minor;   // the reasons, for the decision and the audit log
  std::vector<TermMatch> sexual;
};

// Applies the rule to the matches of a TermMatcher built with kMinor and kSexual terms.
MinorSexualFinding EvaluateMinorSexualRule(std::span<const TermMatch> matches);

// Matches `text` with `matcher` and applies the rule.
MinorSexualFinding CheckMinorSexual(const TermMatcher& matcher, const NormalizedText& text);

}  // namespace kiln
