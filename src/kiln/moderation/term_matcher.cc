#include "kiln/moderation/term_matcher.h"

#include <utility>

namespace kiln {
namespace {

bool IsContinuationByte(char c) { return (static_cast<uint8_t>(c) & 0xC0) == 0x80; }

uint16_t CountLetters(std::string_view pattern) {
  uint16_t letters = 0;
  for (const char c : pattern) {
    if (c != ' ' && !IsContinuationByte(c) && letters < UINT16_MAX) ++letters;
  }
  return letters;
}

// The term as someone would write it with "1" for every "l" ("s1ut", "chi1d");
// normalising that gives exactly what such a prompt normalises to (the
// normaliser reads "1" as "i" and merges an "i" next to it). "" when the term
// has no "l".
std::string WithOneForL(std::string_view term) {
  if (term.find_first_of("lL") == std::string_view::npos) return {};
  std::string variant(term);
  for (char& c : variant) {
    if (c == 'l' || c == 'L') c = '1';
  }
  return variant;
}

}  // namespace

TermMatcher TermMatcher::Build(std::vector<LexiconEntry> terms) {
  TermMatcher m;
  m.terms_ = std::move(terms);
  AhoCorasickBuilder builder;
  NormalizedText normalized;
  NormalizedText variant_normalized;
  auto add = [&](std::string_view pattern, const uint8_t* runs, uint32_t term_id, bool spaced) {
    const auto offset = static_cast<uint32_t>(m.runs_.size());
    m.runs_.insert(m.runs_.end(), runs, runs + pattern.size());
    builder.Add(pattern);
    m.patterns_.push_back(Pattern{term_id, offset, CountLetters(pattern), spaced});
  };
  for (uint32_t id = 0; id < m.terms_.size(); ++id) {
    NormalizeText(m.terms_[id].term, &normalized);
    const std::string& text = normalized.text;
    if (text.size() <= 1) continue;  // nothing left to match
    if (HasNoSpaceScript(text)) {
      // Substring match: drop the outer spaces.
      add(std::string_view(text).substr(1, text.size() - 2), normalized.run.data() + 1, id, false);
      continue;
    }
    add(text, normalized.run.data(), id, true);
    const std::string variant = WithOneForL(m.terms_[id].term);
    if (variant.empty()) continue;
    NormalizeText(variant, &variant_normalized);
    if (variant_normalized.text != text && variant_normalized.text.size() > 1) {
      add(variant_normalized.text, variant_normalized.run.data(), id, true);
    }
  }
  m.automaton_ = builder.Build();
  return m;
}

bool TermMatcher::RunsFit(const Pattern& p, const NormalizedText& text, size_t begin) const {
  const uint32_t length = automaton_.pattern_length(static_cast<uint32_t>(&p - patterns_.data()));
  for (uint32_t j = 0; j < length; ++j) {
    const uint8_t term_run = runs_[p.runs_offset + j];
    const uint8_t text_run = text.run[begin + j];
    if (text_run == term_run || text_run >= 3) continue;
    if (term_run == 1 && text_run == 2 && p.letters >= 4) continue;
    return false;
  }
  return true;
}

void TermMatcher::Match(const NormalizedText& text, std::vector<TermMatch>* out) const {
  out->clear();
  automaton_.ForEachMatch(text.text, [&](uint32_t pattern_id, size_t end) {
    const Pattern& p = patterns_[pattern_id];
    const size_t begin = end - automaton_.pattern_length(pattern_id);
    if (!RunsFit(p, text, begin)) return;
    TermMatch match;
    match.term_id = p.term_id;
    const LexiconEntry& entry = terms_[p.term_id];
    match.language = entry.language;
    match.category = entry.category;
    match.normalized_begin = p.spaced ? begin + 1 : begin;
    match.normalized_end = p.spaced ? end - 1 : end;
    text.SourceSpan(match.normalized_begin, match.normalized_end, &match.begin, &match.end);
    out->push_back(match);
  });
}

std::vector<TermMatch> TermMatcher::Match(std::string_view raw_text) const {
  const NormalizedText normalized = NormalizeText(raw_text);
  std::vector<TermMatch> out;
  Match(normalized, &out);
  return out;
}

}  // namespace kiln
