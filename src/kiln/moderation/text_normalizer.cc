#include "kiln/moderation/text_normalizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <limits>

namespace kiln {
namespace {

using Unit = NormalizedText::Unit;
using Token = NormalizedText::Token;

// What a character is to the word splitter.
enum Kind : uint8_t {
  kLetter = 0,   // a letter (or a mark or digit of a non-Latin script)
  kDigit = 1,    // ASCII 0-9: a number, or leetspeak inside a word
  kLeet = 2,     // @ $ ! | + €: a letter inside a word, punctuation elsewhere
  kSep = 3,      // space, punctuation, symbols: ends a word
  kNoSpace = 4,  // a letter of a script written without spaces
};

bool InRange(char32_t cp, char32_t lo, char32_t hi) { return cp >= lo && cp <= hi; }

// Scripts written without spaces between words: their terms are matched as substrings.
bool IsNoSpaceScript(char32_t cp) {
  return InRange(cp, 0x0E00, 0x0EFF) ||    // Thai, Lao
         InRange(cp, 0x1000, 0x109F) ||    // Myanmar
         InRange(cp, 0x1780, 0x17FF) ||    // Khmer
         InRange(cp, 0x2E80, 0x2FDF) ||    // CJK radicals
         InRange(cp, 0x3005, 0x3007) ||    // 々 〆 〇
         InRange(cp, 0x3040, 0x30FF) ||    // Hiragana, Katakana
         InRange(cp, 0x31F0, 0x31FF) ||    // Katakana extensions
         InRange(cp, 0x3400, 0x4DBF) ||    // CJK extension A
         InRange(cp, 0x4E00, 0x9FFF) ||    // CJK unified ideographs
         InRange(cp, 0xF900, 0xFAFF) ||    // CJK compatibility ideographs
         InRange(cp, 0x20000, 0x3FFFF);    // CJK extensions B+
}

// Diacritics that only decorate a letter ("é" → "e"); the marks that are
// parts of letters in other scripts (Thai vowels, kana voicing) are kept.
bool IsAccent(char32_t cp) {
  return InRange(cp, 0x0300, 0x036F) || InRange(cp, 0x0483, 0x0489) ||  // Latin/Greek, Cyrillic
         InRange(cp, 0x0591, 0x05C7) ||                                  // Hebrew points
         InRange(cp, 0x064B, 0x065F) || cp == 0x0670 ||                  // Arabic harakat
         InRange(cp, 0x1AB0, 0x1AFF) || InRange(cp, 0x1DC0, 0x1DFF) ||
         InRange(cp, 0x20D0, 0x20FF) || InRange(cp, 0xFE20, 0xFE2F);
}

// Letters of other scripts that look like a Latin letter (after case folding,
// so only lower case). Russian text is mapped too; the lexicon goes through
// the same map, so Russian terms still match Russian text.
char32_t Homoglyph(char32_t cp) {
  switch (cp) {
    // Cyrillic
    case 0x0430: return 'a';  // а
    case 0x0432: return 'b';  // в (В)
    case 0x0433: return 'r';  // г
    case 0x0435: return 'e';  // е
    case 0x043A: return 'k';  // к
    case 0x043C: return 'm';  // м
    case 0x043D: return 'h';  // н (Н)
    case 0x043E: return 'o';  // о
    case 0x043F: return 'n';  // п
    case 0x0440: return 'p';  // р
    case 0x0441: return 'c';  // с
    case 0x0442: return 't';  // т
    case 0x0443: return 'y';  // у
    case 0x0445: return 'x';  // х
    case 0x0455: return 's';  // ѕ
    case 0x0456: return 'i';  // і
    case 0x0458: return 'j';  // ј
    case 0x04BB: return 'h';  // һ
    case 0x04CF: return 'l';  // ӏ
    case 0x0501: return 'd';  // ԁ
    case 0x051B: return 'q';  // ԛ
    case 0x051D: return 'w';  // ԝ
    // Greek
    case 0x03B1: return 'a';  // α
    case 0x03B2: return 'b';  // β
    case 0x03B3: return 'y';  // γ
    case 0x03B5: return 'e';  // ε
    case 0x03B7: return 'n';  // η
    case 0x03B9: return 'i';  // ι
    case 0x03BA: return 'k';  // κ
    case 0x03BD: return 'v';  // ν
    case 0x03BF: return 'o';  // ο
    case 0x03C1: return 'p';  // ρ
    case 0x03C4: return 't';  // τ
    case 0x03C5: return 'u';  // υ
    case 0x03C7: return 'x';  // χ
    case 0x03C9: return 'w';  // ω
    // Latin look-alikes outside ASCII
    case 0x0131: return 'i';  // ı
    case 0x0251: return 'a';  // ɑ
    case 0x0261: return 'g';  // ɡ
    case 0x0269: return 'i';  // ɩ
    case 0x026A: return 'i';  // ɪ
    case 0x028F: return 'y';  // ʏ
    case 0x1D00: return 'a';  // ᴀ
    case 0x1D04: return 'c';  // ᴄ
    case 0x1D0F: return 'o';  // ᴏ
    default: return cp;
  }
}

char32_t LeetLetter(char32_t cp) {
  switch (cp) {
    case '0': return 'o';
    case '1': return 'i';  // or l: the matcher also tries terms with l read as i
    case '3': return 'e';
    case '4': return 'a';
    case '5': return 's';
    case '6': return 'g';
    case '7': return 't';
    case '8': return 'b';
    case '9': return 'g';
    case '@': return 'a';
    case '$': return 's';
    case '!': return 'i';
    case '|': return 'l';
    case '+': return 't';
    case 0x20AC: return 'e';  // €
    default: return 0;
  }
}

uint8_t ClassifyAscii(char32_t c) {
  if (c >= 'a' && c <= 'z') return kLetter;
  if (c >= '0' && c <= '9') return kDigit;
  if (c == '@' || c == '$' || c == '!' || c == '|' || c == '+') return kLeet;
  return kSep;
}

constexpr uint8_t kDrop = 255;

uint8_t Classify(char32_t cp) {
  if (cp < 0x80) return ClassifyAscii(cp);
  if (cp == 0x20AC) return kLeet;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return IsNoSpaceScript(cp) ? kNoSpace : kLetter;
    // Emoji and other pictographs: each is a "word" of its own, matched as a substring.
    case UTF8PROC_CATEGORY_SO:
      return kNoSpace;
    // Zero-width and other format characters that utf8proc's "ignorable" set misses.
    case UTF8PROC_CATEGORY_CF:
      return kDrop;
    default:
      return kSep;
  }
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void PushCodepoint(char32_t cp, uint32_t begin, uint32_t end, std::vector<Unit>* units) {
  cp = Homoglyph(cp);
  const uint8_t kind = Classify(cp);
  if (kind == kDrop) return;
  units->push_back(Unit{cp, begin, end, kind});
}

// Step 1: bytes → units (code points after NFKC, case folding, accents, homoglyphs).
void DecodeUnits(std::string_view input, std::vector<Unit>* units) {
  constexpr utf8proc_option_t kDecompose = static_cast<utf8proc_option_t>(
      UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
  constexpr utf8proc_option_t kCompose = static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE | UTF8PROC_STABLE);
  const auto* bytes = reinterpret_cast<const uint8_t*>(input.data());
  const size_t n = input.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t c = bytes[i];
    if (c < 0x80) {  // fast path: most prompts are mostly ASCII
      const char32_t lower = (c >= 'A' && c <= 'Z') ? c + 32 : c;
      units->push_back(Unit{lower, static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1), ClassifyAscii(lower)});
      ++i;
      continue;
    }
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t len = utf8proc_iterate(bytes + i, static_cast<utf8proc_ssize_t>(n - i), &cp);
    if (len <= 0) {  // invalid UTF-8: drop this byte and resynchronise on the next
      ++i;
      continue;
    }
    utf8proc_int32_t buf[32];
    int boundclass = 0;
    utf8proc_ssize_t k = utf8proc_decompose_char(cp, buf, 32, kDecompose, &boundclass);
    if (k < 0 || k > 32) k = 0;  // cannot happen for valid code points (max 18); drop the character
    utf8proc_ssize_t kept = 0;
    for (utf8proc_ssize_t j = 0; j < k; ++j) {
      if (!IsAccent(static_cast<char32_t>(buf[j]))) buf[kept++] = buf[j];
    }
    if (kept > 1) kept = utf8proc_normalize_utf32(buf, kept, kCompose);
    const auto begin = static_cast<uint32_t>(i);
    const auto end = static_cast<uint32_t>(i + len);
    for (utf8proc_ssize_t j = 0; j < kept; ++j) PushCodepoint(static_cast<char32_t>(buf[j]), begin, end, units);
    i += static_cast<size_t>(len);
  }
}

bool IsEdgePunctuation(const Unit& u) { return u.kind == kLeet && (u.cp == '!' || u.cp == '|' || u.cp == '+'); }

// Step 2: units → tokens, maximal runs of non-separators; a change between a
// no-space script and anything else also ends a token.
void SplitTokens(const std::vector<Unit>& units, std::vector<Token>* tokens) {
  const auto n = static_cast<uint32_t>(units.size());
  uint32_t i = 0;
  while (i < n) {
    if (units[i].kind == kSep) {
      ++i;
      continue;
    }
    const bool nospace = units[i].kind == kNoSpace;
    uint32_t j = i + 1;
    while (j < n && units[j].kind != kSep && (units[j].kind == kNoSpace) == nospace) ++j;
    // "!", "|" and "+" at a token's edges are punctuation ("s.e.x!", "c++"), inside it letters ("sh!t").
    uint32_t b = i;
    uint32_t e = j;
    while (b < e && IsEdgePunctuation(units[b])) ++b;
    while (e > b && IsEdgePunctuation(units[e - 1])) --e;
    if (b < e) tokens->push_back(Token{b, e});
    i = j;
  }
}

bool SameGap(const std::vector<Unit>& units, const Token& a, const Token& b, const Token& c, const Token& d) {
  // Gap a→b equals gap c→d (same separators, 1 to 3 of them).
  const uint32_t len = b.begin - a.end;
  if (len == 0 || len > 3 || d.begin - c.end != len) return false;
  for (uint32_t k = 0; k < len; ++k) {
    if (units[a.end + k].cp != units[c.end + k].cp) return false;
  }
  return true;
}

bool IsSingle(const std::vector<Unit>& units, const Token& t) {
  return t.end - t.begin == 1 && units[t.begin].kind != kNoSpace;
}

// A number followed by one of these is a quantity ("12yo", "4k", "1080p"), not leetspeak.
bool IsUnitSuffix(const Unit* begin, const Unit* end) {
  static constexpr std::string_view kSuffixes[] = {
      "y",    "yo",    "yr",     "yrs",     "yro",    "year",    "years", "yearold", "yearsold", "j",  "jahre",
      "jahr", "jahrig", "jahrige", "jahriger", "jahriges", "ans", "an", "anos", "ano", "anni", "jaar",
      "jarig", "jarige", "th", "st", "nd", "rd", "s", "k", "p", "d", "x", "m", "cm", "mm", "km", "kg",
      "g", "px", "h", "min", "am", "pm", "fps", "gb", "mb", "hz", "v", "w", "mp", "l", "ml"};
  const size_t len = static_cast<size_t>(end - begin);
  if (len == 0 || len > 8) return false;
  char buf[8];
  for (size_t k = 0; k < len; ++k) {
    if (begin[k].cp >= 0x80 || begin[k].kind != kLetter) return false;
    buf[k] = static_cast<char>(begin[k].cp);
  }
  const std::string_view s(buf, len);
  return std::find(std::begin(kSuffixes), std::end(kSuffixes), s) != std::end(kSuffixes);
}

bool HasNonAsciiLetter(const Unit* begin, const Unit* end) {
  for (const Unit* u = begin; u != end; ++u) {
    if (u->kind == kLetter && u->cp >= 0x80) return true;
  }
  return false;
}

class Writer {
 public:
  explicit Writer(NormalizedText* out) : out_(out) {}

  void Space(uint32_t source) {
    if (!out_->text.empty() && out_->text.back() == ' ') return;
    Byte(' ', source, source, 1);
    last_cp_ = 0;
  }

  // Appends one character of the current word; a repeat of the previous
  // letter only raises its run count.
  void Char(const Unit& u) {
    if (u.cp == last_cp_ && u.kind != kDigit) {
      for (size_t k = last_start_; k < out_->text.size(); ++k) {
        if (out_->run[k] < 255) ++out_->run[k];
        out_->source_end[k] = u.src_end;
      }
      return;
    }
    last_start_ = out_->text.size();
    last_cp_ = u.cp;
    const size_t before = out_->text.size();
    AppendUtf8(u.cp, &out_->text);
    for (size_t k = before; k < out_->text.size(); ++k) {
      out_->source_begin.push_back(u.src_begin);
      out_->source_end.push_back(u.src_end);
      out_->run.push_back(1);
    }
  }

  void EndWord() { Space(last_end()); }

 private:
  uint32_t last_end() const { return out_->source_end.empty() ? 0 : out_->source_end.back(); }
  void Byte(char c, uint32_t begin, uint32_t end, uint8_t run) {
    out_->text.push_back(c);
    out_->source_begin.push_back(begin);
    out_->source_end.push_back(end);
    out_->run.push_back(run);
  }

  NormalizedText* out_;
  char32_t last_cp_ = 0;
  size_t last_start_ = 0;
};

// Writes units [begin, end) as one word with leetspeak read as letters.
void WriteLeetWord(const Unit* begin, const Unit* end, Writer* w) {
  for (const Unit* u = begin; u != end; ++u) {
    Unit v = *u;
    if (v.kind == kDigit || v.kind == kLeet) {
      const char32_t letter = LeetLetter(v.cp);
      if (letter != 0) {
        v.cp = letter;
        v.kind = kLetter;
      } else if (v.kind == kLeet) {
        continue;
      }
    }
    w->Char(v);
  }
  w->EndWord();
}

void WriteNumber(const Unit* begin, const Unit* end, Writer* w) {
  for (const Unit* u = begin; u != end; ++u) w->Char(*u);
  w->EndWord();
}

// Step 3: one token → one or more words.
void WriteToken(const Unit* begin, const Unit* end, Writer* w) {
  bool has_letter = false;
  for (const Unit* u = begin; u != end; ++u) has_letter |= (u->kind == kLetter || u->kind == kNoSpace);
  if (!has_letter) {  // a number ("18", "18+", "$100"): digits stay, symbols split
    const Unit* u = begin;
    while (u != end) {
      while (u != end && u->kind != kDigit) ++u;
      const Unit* start = u;
      while (u != end && u->kind == kDigit) ++u;
      if (start != u) WriteNumber(start, u, w);
    }
    return;
  }
  // Leading number with a unit ("12yo", "1080p"), or of 2+ digits: a quantity, written as its own word.
  const Unit* digits_end = begin;
  while (digits_end != end && digits_end->kind == kDigit) ++digits_end;
  const size_t leading = static_cast<size_t>(digits_end - begin);
  if (leading > 0 && digits_end != end &&
      (leading >= 2 || IsUnitSuffix(digits_end, end) || HasNonAsciiLetter(digits_end, end))) {
    WriteNumber(begin, digits_end, w);
    begin = digits_end;
  }
  // Trailing number of 2+ digits after a real word ("teen18"), not leetspeak ("a55").
  const Unit* trail = end;
  while (trail != begin && trail[-1].kind == kDigit) --trail;
  if (end - trail >= 2 && trail - begin >= 3) {
    WriteLeetWord(begin, trail, w);
    WriteNumber(trail, end, w);
    return;
  }
  WriteLeetWord(begin, end, w);
}

}  // namespace

void NormalizedText::SourceSpan(size_t begin, size_t end, size_t* source_begin_out, size_t* source_end_out) const {
  *source_begin_out = source_begin[begin];
  *source_end_out = std::max(source_end[end - 1], source_begin[begin]);
}

void NormalizeText(std::string_view input, NormalizedText* out) {
  if (input.size() > std::numeric_limits<uint32_t>::max()) input = input.substr(0, std::numeric_limits<uint32_t>::max());
  out->text.clear();
  out->source_begin.clear();
  out->source_end.clear();
  out->run.clear();
  out->units_.clear();
  out->tokens_.clear();
  DecodeUnits(input, &out->units_);
  SplitTokens(out->units_, &out->tokens_);

  Writer w(out);
  w.Space(0);
  const std::vector<Unit>& units = out->units_;
  const std::vector<Token>& tokens = out->tokens_;
  size_t t = 0;
  while (t < tokens.size()) {
    // Runs of 3+ single characters with the same separator are one spelled-out word ("s.e.x").
    if (IsSingle(units, tokens[t])) {
      size_t j = t + 1;
      while (j < tokens.size() && IsSingle(units, tokens[j]) &&
             SameGap(units, tokens[t], tokens[t + 1], tokens[j - 1], tokens[j])) {
        ++j;
      }
      size_t letters = 0;
      for (size_t k = t; k < j; ++k) letters += units[tokens[k].begin].kind == kLetter;
      if (j - t >= 3 && letters >= 2) {
        std::vector<Unit>& word = out->word_;
        word.clear();
        for (size_t k = t; k < j; ++k) word.push_back(units[tokens[k].begin]);
        WriteLeetWord(word.data(), word.data() + word.size(), &w);
        t = j;
        continue;
      }
    }
    WriteToken(units.data() + tokens[t].begin, units.data() + tokens[t].end, &w);
    ++t;
  }
  w.Space(static_cast<uint32_t>(input.size()));
}

bool HasNoSpaceScript(std::string_view normalized) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(normalized.data());
  size_t i = 0;
  while (i < normalized.size()) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t len =
        utf8proc_iterate(bytes + i, static_cast<utf8proc_ssize_t>(normalized.size() - i), &cp);
    if (len <= 0) {
      ++i;
      continue;
    }
    if (cp >= 0x80 && Classify(static_cast<char32_t>(cp)) == kNoSpace) return true;
    i += static_cast<size_t>(len);
  }
  return false;
}

NormalizedText NormalizeText(std::string_view input) {
  NormalizedText out;
  NormalizeText(input, &out);
  return out;
}

}  // namespace kiln
