#include "kiln/tokenizers/wordpiece_tokenizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstddef>
#include <utility>

#include "kiln/base/file_util.h"

namespace kiln {
namespace {

constexpr char32_t kInvalid = 0xFFFFFFFF;

// The code point at s[*pos], advancing *pos past it; kInvalid (advancing one
// byte) for a byte that does not start a well-formed UTF-8 sequence.
char32_t DecodeUtf8(std::string_view s, size_t* pos) {
  utf8proc_int32_t cp = -1;
  const utf8proc_ssize_t n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + *pos),
                                              static_cast<utf8proc_ssize_t>(s.size() - *pos), &cp);
  if (n <= 0 || cp < 0) {
    *pos += 1;
    return kInvalid;
  }
  *pos += static_cast<size_t>(n);
  return static_cast<char32_t>(cp);
}

void AppendUtf8(char32_t cp, std::string* out) {
  utf8proc_uint8_t bytes[4];
  const utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), bytes);
  out->append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n));
}

utf8proc_category_t Category(char32_t c) { return utf8proc_category(static_cast<utf8proc_int32_t>(c)); }

// Rust's char::is_whitespace (the Unicode White_Space property), as HF's
// tokenizers use it.
bool IsWhitespace(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// HF's is_control: the Unicode categories Cc Cf Co Cs, except tab, LF and CR,
// which count as whitespace. Not Cn: HF keeps unassigned code points (they
// become [UNK] or part of an unknown word), as the golden cases show.
bool IsControl(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CS:
      return true;
    default:
      return false;
  }
}

// The CJK Unified Ideographs blocks BERT isolates (not kana or hangul).
bool IsChineseChar(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// HF's is_bert_punc: ASCII punctuation ($ + < = > ^ ` | ~ included) or Unicode P*.
bool IsPunctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  }
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF: case UTF8PROC_CATEGORY_PO:
      return true;
    default:
      return false;
  }
}

// BertNormalizer (clean_text, handle_chinese_chars, strip_accents, lowercase),
// in HF's order, as code points.
std::vector<char32_t> Normalize(std::string_view text) {
  std::vector<char32_t> cleaned;
  cleaned.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const char32_t c = DecodeUtf8(text, &pos);
    if (c == kInvalid || c == 0 || c == 0xFFFD || IsControl(c)) continue;
    if (IsWhitespace(c)) {
      cleaned.push_back(' ');
    } else if (IsChineseChar(c)) {
      cleaned.insert(cleaned.end(), {' ', c, ' '});
    } else {
      cleaned.push_back(c);
    }
  }

  // NFD: full canonical decomposition, then the canonical ordering of each run
  // of combining marks (a stable sort by combining class).
  std::vector<char32_t> nfd;
  nfd.reserve(cleaned.size());
  for (const char32_t c : cleaned) {
    utf8proc_int32_t buffer[32];
    int boundclass = UTF8PROC_BOUNDCLASS_START;
    const utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buffer, 32,
                                                       UTF8PROC_DECOMPOSE, &boundclass);
    if (n <= 0 || n > 32) {
      nfd.push_back(c);
      continue;
    }
    for (utf8proc_ssize_t i = 0; i < n; ++i) nfd.push_back(static_cast<char32_t>(buffer[i]));
  }
  auto combining_class = [](char32_t c) {
    return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
  };
  for (size_t i = 0; i < nfd.size();) {
    if (combining_class(nfd[i]) == 0) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < nfd.size() && combining_class(nfd[end]) != 0) ++end;
    std::stable_sort(nfd.begin() + static_cast<std::ptrdiff_t>(i), nfd.begin() + static_cast<std::ptrdiff_t>(end),
                     [&](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = end;
  }

  // Drop the nonspacing marks (the accents), then lowercase one code point at
  // a time (HF maps char by char; no final-sigma context).
  std::vector<char32_t> out;
  out.reserve(nfd.size());
  for (const char32_t c : nfd) {
    if (Category(c) == UTF8PROC_CATEGORY_MN) continue;
    out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
  }
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<WordPieceTokenizer>> WordPieceTokenizer::Load(const std::string& vocab_path) {
  KILN_ASSIGN_OR_RETURN(const std::string text, ReadFileToString(vocab_path));
  return FromVocabText(text, vocab_path);
}

StatusOr<std::unique_ptr<WordPieceTokenizer>> WordPieceTokenizer::FromVocabText(std::string_view text,
                                                                                std::string_view label) {
  std::unique_ptr<WordPieceTokenizer> tokenizer(new WordPieceTokenizer());
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    const auto id = static_cast<int32_t>(tokenizer->tokens_.size());
    tokenizer->tokens_.emplace_back(line);
    // A repeated token keeps its last line, as HF's reader does.
    tokenizer->ids_[std::string(line)] = id;
    start = end + 1;
  }
  if (tokenizer->tokens_.empty()) {
    return Status::InvalidArgument(std::string(label) + ": empty vocabulary");
  }
  struct Required {
    const char* token;
    int32_t* id;
  };
  for (const Required& r : {Required{"[PAD]", &tokenizer->pad_id_}, Required{"[UNK]", &tokenizer->unk_id_},
                            Required{"[CLS]", &tokenizer->cls_id_}, Required{"[SEP]", &tokenizer->sep_id_}}) {
    *r.id = tokenizer->TokenToId(r.token);
    if (*r.id < 0) {
      std::string message(label);
      message.append(": the vocabulary has no ").append(r.token).append(" token");
      return Status::InvalidArgument(message);
    }
  }
  for (const char* special : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    const int32_t id = tokenizer->TokenToId(special);
    if (id >= 0) tokenizer->special_tokens_.push_back({special, id});
  }
  return tokenizer;
}

int32_t WordPieceTokenizer::TokenToId(std::string_view token) const {
  const auto it = ids_.find(std::string(token));
  return it == ids_.end() ? -1 : it->second;
}

std::vector<int32_t> WordPieceTokenizer::Tokenize(std::string_view text) const {
  std::vector<int32_t> ids;
  // Leftmost-longest match of the special tokens, as HF's added-token trie:
  // the text between two of them is normalised and split on its own.
  size_t piece_begin = 0;
  for (size_t pos = 0; pos < text.size();) {
    const SpecialToken* longest = nullptr;
    for (const SpecialToken& special : special_tokens_) {
      if (text.substr(pos).starts_with(special.text) &&
          (longest == nullptr || special.text.size() > longest->text.size())) {
        longest = &special;
      }
    }
    if (longest == nullptr) {
      ++pos;
      continue;
    }
    TokenizePlain(text.substr(piece_begin, pos - piece_begin), &ids);
    ids.push_back(longest->id);
    pos += longest->text.size();
    piece_begin = pos;
  }
  TokenizePlain(text.substr(piece_begin), &ids);
  return ids;
}

void WordPieceTokenizer::TokenizePlain(std::string_view text, std::vector<int32_t>* ids) const {
  if (text.empty()) return;
  const std::vector<char32_t> normalized = Normalize(text);
  std::string word;
  for (const char32_t c : normalized) {
    if (IsWhitespace(c)) {
      TokenizeWord(word, ids);
      word.clear();
    } else if (IsPunctuation(c)) {
      TokenizeWord(word, ids);
      word.clear();
      AppendUtf8(c, &word);
      TokenizeWord(word, ids);
      word.clear();
    } else {
      AppendUtf8(c, &word);
    }
  }
  TokenizeWord(word, ids);
}

void WordPieceTokenizer::TokenizeWord(std::string_view word, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  // Byte offsets of the code point boundaries: pieces end only at them.
  std::vector<size_t> bounds;
  for (size_t pos = 0; pos < word.size();) {
    bounds.push_back(pos);
    DecodeUtf8(word, &pos);
  }
  const size_t chars = bounds.size();
  bounds.push_back(word.size());
  if (chars > static_cast<size_t>(kMaxInputCharsPerWord)) {
    ids->push_back(unk_id_);
    return;
  }
  const size_t first = ids->size();
  std::string key;
  size_t start = 0;
  while (start < chars) {
    int32_t found = -1;
    size_t end = chars;
    for (; end > start; --end) {
      key.assign(start > 0 ? "##" : "");
      key.append(word.substr(bounds[start], bounds[end] - bounds[start]));
      const auto it = ids_.find(key);
      if (it != ids_.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) {
      // A part matching nothing makes the whole word unknown.
      ids->resize(first);
      ids->push_back(unk_id_);
      return;
    }
    ids->push_back(found);
    start = end;
  }
}

std::vector<int32_t> WordPieceTokenizer::Encode(std::string_view text, int max_length) const {
  std::vector<int32_t> pieces = Tokenize(text);
  const size_t room = static_cast<size_t>(std::max(max_length, 2) - 2);
  if (pieces.size() > room) pieces.resize(room);
  std::vector<int32_t> ids;
  ids.reserve(pieces.size() + 2);
  ids.push_back(cls_id_);
  ids.insert(ids.end(), pieces.begin(), pieces.end());
  ids.push_back(sep_id_);
  return ids;
}

void WordPieceTokenizer::EncodeBatch(const std::vector<std::string>& texts, int max_length,
                                     WordPieceBatch* out) const {
  std::vector<std::vector<int32_t>> rows;
  rows.reserve(texts.size());
  size_t longest = 0;
  for (const std::string& text : texts) {
    rows.push_back(Encode(text, max_length));
    longest = std::max(longest, rows.back().size());
  }
  out->batch = static_cast<int64_t>(texts.size());
  out->seq_len = static_cast<int64_t>(longest);
  out->input_ids.assign(texts.size() * longest, pad_id_);
  out->attention_mask.assign(texts.size() * longest, 0);
  for (size_t b = 0; b < rows.size(); ++b) {
    std::copy(rows[b].begin(), rows[b].end(), out->input_ids.begin() + static_cast<std::ptrdiff_t>(b * longest));
    std::fill_n(out->attention_mask.begin() + static_cast<std::ptrdiff_t>(b * longest), rows[b].size(), 1);
  }
}

}  // namespace kiln
