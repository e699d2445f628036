// SentencePieceTokenizer: text to token ids with a SentencePiece model (the
// spiece.model / tokenizer.model of T5), through libsentencepiece, so ids are
// exactly those of the Python `sentencepiece` package on the same model.
//
// Immutable after the factory returns; Encode and EncodeForT5 are safe to call
// from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/status.h"

namespace sentencepiece {
class SentencePieceProcessor;
}  // namespace sentencepiece

namespace kiln {

class SentencePieceTokenizer {
 public:
  // Reads a serialized SentencePiece ModelProto from model_path. Errors name
  // the file: NotFound / PermissionDenied from the filesystem, InvalidArgument
  // when the bytes are not a model or the model lacks a <pad> or </s> piece
  // (EncodeForT5 needs both).
  static StatusOr<std::unique_ptr<SentencePieceTokenizer>> Load(const std::string& model_path);
  // The same from the model's bytes; label names them in errors.
  static StatusOr<std::unique_ptr<SentencePieceTokenizer>> FromSerialized(
      std::string_view serialized, std::string_view label = "serialized sentencepiece model");

  ~SentencePieceTokenizer();
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  // The ids of text, no special tokens added (sentencepiece's EncodeAsIds).
  std::vector<int32_t> Encode(std::string_view text) const;

  // What Hugging Face's T5TokenizerFast (legacy, extra_ids=100: what FLUX.1
  // ships) returns as input_ids for (text, padding="max_length",
  // truncation=True, max_length=max_length): the text is split at the special
  // tokens' strings (the model's <pad>, </s> and <unk> pieces and
  // <extra_id_0> … <extra_id_99>), which become their ids, and each piece of
  // text between them is Encode()d on its own; the ids are cut to leave room
  // for </s>, then </s> (when append_eos), then pad_id() up to max_length.
  // So a prompt containing "</s>" ends there for the encoder, as it does in
  // the reference pipelines. The result has exactly max_length ids (none when
  // max_length <= 0), each in [0, vocab_size() + kT5ExtraIds).
  std::vector<int32_t> EncodeForT5(std::string_view text, int max_length, bool append_eos = true) const;

  // T5's sentinel tokens <extra_id_0> … <extra_id_99>, numbered down from
  // vocab_size() + 99 (T5Tokenizer's extra_ids).
  static constexpr int kT5ExtraIds = 100;

  int pad_id() const { return pad_id_; }
  int eos_id() const { return eos_id_; }
  // Number of pieces: Encode's ids are in [0, vocab_size()).
  int vocab_size() const { return vocab_size_; }

 private:
  struct SpecialToken {
    std::string text;
    int32_t id;
  };

  explicit SentencePieceTokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> processor);

  // The longest special token that text has at offset, or nullptr.
  const SpecialToken* SpecialTokenAt(std::string_view text, size_t offset) const;

  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
  int pad_id_;
  int eos_id_;
  int vocab_size_;
  std::vector<SpecialToken> special_tokens_;  // what EncodeForT5 splits at
};

}  // namespace kiln
