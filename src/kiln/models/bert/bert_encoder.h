// BertEncoder: Hugging Face BertModel's last_hidden_state (embeddings: word +
// token type + absolute position, LayerNorm; then the encoder layers), and the
// sentence-transformers pooling on top of it (MeanPool: the mean of the real
// tokens' states, then L2 normalisation). Weights are found by the HF key
// names ("embeddings.word_embeddings.weight", "encoder.layer.N.attention.self.
// query.weight", …, optionally under "bert."), so all-MiniLM-L6-v2's
// model.safetensors loads unchanged; the pooler is not used.
//
// Forward is const and uses a caller-owned BertWorkspace, so one loaded model
// can serve several threads, each with its own workspace. Inference only:
// dropout is off.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/bert/bert_config.h"
#include "kiln/models/bert/bert_layer.h"
#include "kiln/models/bert/bert_workspace.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

class BertEncoder {
 public:
  // The weights of config's shape, as f32 (zero-copy when stored as f32).
  // Errors name the missing or misshapen tensor. The file may be closed
  // afterwards: the weights keep their mapping alive.
  static StatusOr<std::unique_ptr<BertEncoder>> Load(const SafetensorsFile& file, const BertConfig& config);

  const BertConfig& config() const { return config_; }

  // Checks sizes (seq_len at most max_position_embeddings), and every id
  // against the vocabulary (and every token type, when given): an id out of
  // range is InvalidArgument naming it.
  Status ValidateInputs(const int32_t* ids, const int32_t* token_type_ids, int64_t batch, int64_t seq_len) const;

  // last_hidden_state of BertModel(input_ids, attention_mask, token_type_ids).
  //   ids            (batch, seq_len)
  //   token_type_ids (batch, seq_len), or nullptr for all 0
  //   attention_mask (batch, seq_len): nonzero for a real token, 0 for padding
  //                  (never attended to); nullptr attends to every token
  //   out            (batch, seq_len, hidden_size)
  // REQUIRES: ValidateInputs(ids, token_type_ids, batch, seq_len).ok()
  void Forward(ThreadPool& pool, const int32_t* ids, const int32_t* token_type_ids, const int32_t* attention_mask,
               int64_t batch, int64_t seq_len, float* out, BertWorkspace& ws) const;

  // last_hidden_state of the real tokens only, sentences packed end to end
  // (no padding: the same states as Forward gives the unmasked rows, within
  // float rounding, at the cost of the real tokens alone).
  //   ids            (total_tokens): sentence b is [offsets[b], offsets[b+1])
  //   token_type_ids (total_tokens), or nullptr for all 0
  //   offsets        (batch + 1): offsets[0] = 0, strictly increasing (every
  //                  sentence at least one token), each sentence at
  //                  most max_position_embeddings long
  //   out            (total_tokens, hidden_size)
  // REQUIRES: every id in [0, vocab_size), every token type in [0, type_vocab_size)
  void ForwardPacked(ThreadPool& pool, const int32_t* ids, const int32_t* token_type_ids, const int64_t* offsets,
                     int64_t batch, float* out, BertWorkspace& ws) const;

 private:
  explicit BertEncoder(const BertConfig& config) : config_(config) {}

  void EnsureWorkspace(BertWorkspace& ws, int64_t batch, int64_t seq_len) const;

  BertConfig config_;
  Tensor word_embeddings_;        // (vocab_size, hidden)
  Tensor position_embeddings_;    // (max_position_embeddings, hidden)
  Tensor token_type_embeddings_;  // (type_vocab_size, hidden)
  Tensor embeddings_norm_weight_, embeddings_norm_bias_;  // (hidden)
  std::vector<BertLayer> layers_;
};

// sentence-transformers' Pooling (mean tokens) then, when normalize,
// Normalize: out[b] = Σ_t mask[b,t]·hidden[b,t] / max(Σ_t mask[b,t], 1e-9),
// divided by max(‖·‖₂, 1e-12).
//   hidden (batch, seq_len, dim); attention_mask (batch, seq_len); out (batch, dim)
void MeanPool(const float* hidden, const int32_t* attention_mask, int64_t batch, int64_t seq_len, int64_t dim,
              bool normalize, float* out);

// MeanPool over packed sentences (BertEncoder::ForwardPacked's layout): every
// row is a real token.
//   hidden (offsets[batch], dim); offsets (batch + 1); out (batch, dim)
void MeanPoolPacked(const float* hidden, const int64_t* offsets, int64_t batch, int64_t dim, bool normalize,
                    float* out);

}  // namespace kiln
