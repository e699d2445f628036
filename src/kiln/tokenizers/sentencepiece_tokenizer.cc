#include "kiln/tokenizers/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <string>
#include <type_traits>
#include <utility>

#include "kiln/base/file_util.h"

namespace kiln {

// libsentencepiece speaks std::vector<int>; the two are the same type here,
// so ids go straight into the returned vector.
static_assert(std::is_same_v<int, int32_t>);

StatusOr<std::unique_ptr<SentencePieceTokenizer>> SentencePieceTokenizer::Load(const std::string& model_path) {
  // Kiln's own read, not sentencepiece's, so that a missing or unreadable file
  // gets the usual NotFound / PermissionDenied naming the path.
  KILN_ASSIGN_OR_RETURN(const std::string serialized, ReadFileToString(model_path));
  return FromSerialized(serialized, model_path);
}

StatusOr<std::unique_ptr<SentencePieceTokenizer>> SentencePieceTokenizer::FromSerialized(
    std::string_view serialized, std::string_view label) {
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const sentencepiece::util::Status loaded = processor->LoadFromSerializedProto(serialized);
  if (!loaded.ok()) {
    return Status::InvalidArgument(std::string(label) + ": not a SentencePiece model (" +
                                   loaded.message() + ")");
  }
  if (processor->pad_id() < 0 || processor->eos_id() < 0) {
    return Status::InvalidArgument(std::string(label) + ": the model defines no " +
                                   (processor->pad_id() < 0 ? "<pad>" : "</s>") +
                                   " piece, which T5 inputs need");
  }
  return std::unique_ptr<SentencePieceTokenizer>(new SentencePieceTokenizer(std::move(processor)));
}

SentencePieceTokenizer::SentencePieceTokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> processor)
    : processor_(std::move(processor)),
      pad_id_(processor_->pad_id()),
      eos_id_(processor_->eos_id()),
      vocab_size_(processor_->GetPieceSize()) {
  for (const int id : {pad_id_, eos_id_, processor_->unk_id()}) {
    special_tokens_.push_back({processor_->IdToPiece(id), id});
  }
  for (int i = 0; i < kT5ExtraIds; ++i) {
    special_tokens_.push_back({"<extra_id_" + std::to_string(i) + ">", vocab_size_ + kT5ExtraIds - 1 - i});
  }
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<int32_t> SentencePieceTokenizer::Encode(std::string_view text) const {
  std::vector<int32_t> ids;
  // Encode fails only when no model is loaded, which the factory rules out.
  processor_->Encode(text, &ids).IgnoreError();
  return ids;
}

const SentencePieceTokenizer::SpecialToken* SentencePieceTokenizer::SpecialTokenAt(std::string_view text,
                                                                                    size_t offset) const {
  const SpecialToken* longest = nullptr;
  for (const SpecialToken& token : special_tokens_) {
    if (text.substr(offset).starts_with(token.text) &&
        (longest == nullptr || token.text.size() > longest->text.size())) {
      longest = &token;
    }
  }
  return longest;
}

std::vector<int32_t> SentencePieceTokenizer::EncodeForT5(std::string_view text, int max_length,
                                                         bool append_eos) const {
  if (max_length <= 0) return {};
  // Leftmost-longest matching, as the Hugging Face tokenizers' added-token
  // trie does; the text between two special tokens is encoded on its own, so
  // it gets its own leading "▁" like the reference's (legacy) segments.
  std::vector<int32_t> ids;
  size_t segment_begin = 0;
  for (size_t offset = 0; offset < text.size();) {
    const SpecialToken* special = SpecialTokenAt(text, offset);
    if (special == nullptr) {
      ++offset;
      continue;
    }
    const std::vector<int32_t> segment = Encode(text.substr(segment_begin, offset - segment_begin));
    ids.insert(ids.end(), segment.begin(), segment.end());
    ids.push_back(special->id);
    offset += special->text.size();
    segment_begin = offset;
  }
  const std::vector<int32_t> tail = Encode(text.substr(segment_begin));
  ids.insert(ids.end(), tail.begin(), tail.end());
  // Truncation keeps room for </s>, so a long prompt still ends with it.
  const size_t room = static_cast<size_t>(max_length) - (append_eos ? 1 : 0);
  if (ids.size() > room) ids.resize(room);
  if (append_eos) ids.push_back(eos_id_);
  ids.resize(static_cast<size_t>(max_length), pad_id_);
  return ids;
}

}  // namespace kiln
