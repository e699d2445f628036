// The text normaliser of moderation: it turns a prompt into the canonical form
// the term matcher searches, so that "F.U.C.K", "ｆｕｃｋ", "fück", "fuuuuck",
// "f\u200Buck" and a Cyrillic "fuсk" all read "fuck".
//
// Steps, per character: bad UTF-8 bytes and zero-width/ignorable characters
// are dropped; NFKC (utf8proc: fullwidth forms, ligatures, compatibility
// digits) with Unicode case folding; accents (combining diacritics of Latin,
// Greek and Cyrillic letters) removed, while the marks that are letters'
// parts in other scripts (Thai vowels, Devanagari signs) are kept;
// Cyrillic/Greek/IPA look-alikes mapped to the Latin letter they imitate.
// Then per word: leetspeak digits and symbols become letters inside words
// that have letters ("t33n", "a$$", "sh!t"), while numbers stay numbers ("12
// year old", "12yo", "under 18"); runs of 3+ single characters with the same
// separator are one word ("s.e.x", "s e x", "s-e-x" → "sex"); a letter
// repeated in a row is written once, its count kept in `run` (the matcher
// decides how many repeats a term allows).
//
// The result is " word word word ": words separated by one space and a space
// at both ends, so that a term written " ass " matches whole words only. Text
// of scripts written without spaces (Han, Kana, Thai, Lao, Khmer, Myanmar) is
// kept as runs of characters, split from neighbouring Latin words by a space.
//
// Known limits: composition is per input character, so a base letter
// followed by a separate combining mark that is not an accent (e.g. カ +
// U+3099) is not recomposed; both the lexicon and prompts go through this
// same function, so this only loses recall on such spellings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

struct NormalizedText {
  // " word word " (UTF-8, never empty: at least " ").
  std::string text;
  // Per byte of `text`: the byte range [source_begin, source_end) of the
  // input character(s) it came from. A space covers the separators it
  // replaced.
  std::vector<uint32_t> source_begin;
  std::vector<uint32_t> source_end;
  // Per byte of `text`: how many times its character stood in a row in the
  // input word (1 for most; 255 at most).
  std::vector<uint8_t> run;

  // The byte span in the input text of text[begin, end). REQUIRES begin < end <= text.size().
  void SourceSpan(size_t begin, size_t end, size_t* source_begin_out, size_t* source_end_out) const;

  // Scratch space reused between calls, so a warm NormalizedText allocates nothing.
  struct Unit {
    char32_t cp;
    uint32_t src_begin;
    uint32_t src_end;
    uint8_t kind;
  };
  struct Token {
    uint32_t begin;
    uint32_t end;
  };
  std::vector<Unit> units_;
  std::vector<Unit> word_;
  std::vector<Token> tokens_;
};

// Normalises `input` (any bytes; invalid UTF-8 is dropped byte by byte) into
// `*out`, reusing its buffers. Input longer than 4 GiB is cut (offsets are 32-bit).
void NormalizeText(std::string_view input, NormalizedText* out);
NormalizedText NormalizeText(std::string_view input);

// Whether normalised text has characters of a script written without spaces
// (Han, Kana, Thai, ...) or pictographs: the matcher looks for such terms as
// substrings rather than whole words.
bool HasNoSpaceScript(std::string_view normalized);

}  // namespace kiln
