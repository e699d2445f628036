// TextConditioner: prompts → the transformer's text conditioning.
//
// SentencePiece ids + eos, padded to max_length → T5 encoder with the padding
// masked → txt, the hidden states of every position (padding included, as
// the transformer was trained on them), and y, the mean of the hidden states
// over the non-padding positions (eos included).
// Not thread-safe (it keeps the encoder's buffers): one per worker thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/t5/t5_encoder.h"
#include "kiln/tensor/tensor.h"
#include "kiln/tokenizers/sentencepiece_tokenizer.h"

namespace kiln {

class TextConditioner {
 public:
  // REQUIRES: tokenizer and encoder outlive the conditioner; max_length >= 1.
  TextConditioner(const SentencePieceTokenizer& tokenizer, const T5Encoder& encoder, int max_length)
      : tokenizer_(tokenizer), encoder_(encoder), max_length_(max_length) {}

  // txt (batch, max_length, d_model); y (batch, d_model). An empty prompt is
  // valid (it encodes to eos alone).
  Status Encode(ThreadPool& pool, const std::vector<std::string>& prompts, Tensor* txt, Tensor* y);

  // The ids and mask Encode feeds the encoder: (max_length) each.
  void Tokenize(const std::string& prompt, std::vector<int32_t>* ids, std::vector<int32_t>* mask) const;

 private:
  const SentencePieceTokenizer& tokenizer_;
  const T5Encoder& encoder_;
  const int max_length_;
  T5Workspace workspace_;
};

}  // namespace kiln
