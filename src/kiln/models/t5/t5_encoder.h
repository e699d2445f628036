// T5Encoder: the encoder stack of T5 (Hugging Face T5EncoderModel), the text
// encoder FLUX.1 calls text_encoder_2 (T5 v1.1 XXL). Weights are found by the
// HF key names ("shared.weight" or "encoder.embed_tokens.weight",
// "encoder.block.N.layer.0.SelfAttention.q.weight", …,
// "encoder.final_layer_norm.weight"), so an HF checkpoint loads unchanged.
//
// Forward is const and uses a caller-owned T5Workspace, so one loaded model
// can serve several threads, each with its own workspace. Inference only:
// dropout is off.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/t5/t5_block.h"
#include "kiln/models/t5/t5_config.h"
#include "kiln/models/t5/t5_workspace.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

// Observes the residual stream at named points: "embeddings" and
// "block.N.output" (the output of block N, before the final layer norm),
// each (batch, seq_len, d_model). For localising a parity failure.
using T5TraceFn = std::function<void(std::string_view name, const float* data, const Shape& shape)>;

class T5Encoder {
 public:
  // The weights of config's shape, widened to f32 (zero-copy when stored as
  // f32). Errors name the missing or misshapen tensor and the file. The
  // file may be closed afterwards: the weights keep their mapping alive.
  static StatusOr<std::unique_ptr<T5Encoder>> Load(const SafetensorsFile& file, const T5Config& config);

  const T5Config& config() const { return config_; }

  // Checks sizes, and every id against the embedding table: an id out of
  // range (a tokenizer for another vocabulary) is InvalidArgument naming it.
  Status ValidateInputs(const int32_t* ids, int64_t batch, int64_t seq_len) const;

  // last_hidden_state of T5EncoderModel(input_ids=ids, attention_mask=mask).
  //   ids            (batch, seq_len)
  //   attention_mask (batch, seq_len): nonzero for a real token, 0 for a
  //                  key to ignore (padding); nullptr attends to every token,
  //                  padding included, which is how FLUX.1 calls it
  //   out            (batch, seq_len, d_model)
  // REQUIRES: ValidateInputs(ids, batch, seq_len).ok()
  void Forward(ThreadPool& pool, const int32_t* ids, int64_t batch, int64_t seq_len,
               const int32_t* attention_mask, float* out, T5Workspace& ws,
               const T5TraceFn& trace = nullptr) const;

 private:
  explicit T5Encoder(const T5Config& config) : config_(config) {}

  void EnsureWorkspace(T5Workspace& ws, int64_t batch, int64_t seq_len) const;

  T5Config config_;
  Tensor embed_tokens_;             // (vocab_size, d_model)
  Tensor relative_attention_bias_;  // (num_buckets, num_heads): block 0's, used by every block
  std::vector<T5Block> blocks_;
  Tensor final_layer_norm_;         // (d_model)
};

}  // namespace kiln
