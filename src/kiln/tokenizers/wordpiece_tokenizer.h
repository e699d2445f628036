// WordPieceTokenizer: BERT's tokenizer (uncased), giving the ids of Hugging
// Face's BertTokenizerFast with the tokenizer.json of all-MiniLM-L6-v2:
//   1. the special tokens' strings ([PAD] [UNK] [CLS] [SEP] [MASK], exactly as
//      written: not normalised) are split out of the raw text and become their ids;
//   2. BertNormalizer on each piece between them: drop NUL, U+FFFD and control
//      characters (Unicode Cc Cf Co Cs, except tab, LF, CR; unassigned code
//      points stay), map whitespace
//      to a space, put spaces around CJK ideographs, strip accents (NFD, then drop
//      the nonspacing marks Mn), lowercase;
//   3. BertPreTokenizer: split at whitespace, and every punctuation character
//      (ASCII punctuation or Unicode P*) is a word of its own;
//   4. WordPiece per word: greedy longest match first, continuations prefixed
//      "##"; a word longer than 100 characters, or one with a part matching
//      nothing, is [UNK].
// Unicode properties (categories, NFD, lowercase) come from utf8proc (Unicode
// 15 in Debian 12); HF's come from Rust crates of various Unicode versions, so
// a code point assigned in between could be classed differently. The golden
// cases (tests/data/minilm_golden: 27 chosen texts and 160 random strings over
// 24 Unicode blocks) all agree.
//
// Immutable after the factory returns; every method is safe to call from
// several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kiln/base/status.h"

namespace kiln {

// A batch of encoded texts padded to its longest row, the shape
// BertTokenizerFast(texts, padding=True, truncation=True, max_length=…) returns.
struct WordPieceBatch {
  int64_t batch = 0;
  int64_t seq_len = 0;
  std::vector<int32_t> input_ids;       // (batch, seq_len): [CLS] … [SEP] then [PAD]
  std::vector<int32_t> attention_mask;  // (batch, seq_len): 1 real token, 0 padding
};

class WordPieceTokenizer {
 public:
  // The longest word WordPiece splits; longer ones are [UNK] (HF's max_input_chars_per_word).
  static constexpr int kMaxInputCharsPerWord = 100;

  // Reads a vocab.txt: one token a line, the id being the line's index
  // (trailing whitespace and CR trimmed, as HF's reader does). Errors name the
  // file; a vocabulary without [PAD] [UNK] [CLS] [SEP] is InvalidArgument.
  static StatusOr<std::unique_ptr<WordPieceTokenizer>> Load(const std::string& vocab_path);
  // The same from the file's text; label names it in errors.
  static StatusOr<std::unique_ptr<WordPieceTokenizer>> FromVocabText(std::string_view text,
                                                                     std::string_view label = "vocab");

  // The word-piece ids of text, no [CLS]/[SEP], no truncation. Invalid UTF-8
  // bytes are dropped (as U+FFFD would be).
  std::vector<int32_t> Tokenize(std::string_view text) const;

  // [CLS] + Tokenize(text) cut to max_length − 2 + [SEP]: BertTokenizerFast's
  // input_ids for (text, truncation=True, max_length=max_length).
  // REQUIRES: max_length >= 2
  std::vector<int32_t> Encode(std::string_view text, int max_length) const;

  // Encode for each text, padded with [PAD] to the longest row. Reuses out's
  // buffers. An empty texts gives batch 0, seq_len 0.
  void EncodeBatch(const std::vector<std::string>& texts, int max_length, WordPieceBatch* out) const;

  // The id of a vocabulary token, or -1.
  int32_t TokenToId(std::string_view token) const;
  const std::string& IdToToken(int32_t id) const { return tokens_.at(static_cast<size_t>(id)); }

  int32_t pad_id() const { return pad_id_; }
  int32_t unk_id() const { return unk_id_; }
  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  // Number of lines of vocab.txt: every id is in [0, vocab_size()).
  int vocab_size() const { return static_cast<int>(tokens_.size()); }

 private:
  struct SpecialToken {
    std::string text;
    int32_t id;
  };

  WordPieceTokenizer() = default;

  // Appends the ids of one piece of text holding no special token.
  void TokenizePlain(std::string_view text, std::vector<int32_t>* ids) const;
  // Appends the WordPiece ids of one word (UTF-8, already normalised).
  void TokenizeWord(std::string_view word, std::vector<int32_t>* ids) const;

  std::vector<std::string> tokens_;                // id → token
  std::unordered_map<std::string, int32_t> ids_;   // token → id
  std::vector<SpecialToken> special_tokens_;       // split out of the raw text
  int32_t pad_id_ = -1, unk_id_ = -1, cls_id_ = -1, sep_id_ = -1;
};

}  // namespace kiln
