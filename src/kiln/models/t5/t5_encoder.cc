#include "kiln/models/t5/t5_encoder.h"

#include <algorithm>
#include <limits>
#include <string>

#include "kiln/kernels/cpu/norm.h"
#include "kiln/models/t5/t5_relative_position.h"
#include "kiln/models/weight_loader.h"

namespace kiln {

StatusOr<std::unique_ptr<T5Encoder>> T5Encoder::Load(const SafetensorsFile& file, const T5Config& config) {
  KILN_RETURN_IF_ERROR(config.Validate());
  const WeightLoader weights(file);
  std::unique_ptr<T5Encoder> encoder(new T5Encoder(config));
  // T5EncoderModel ties the two names to one tensor; a checkpoint stores
  // whichever its writer kept.
  const std::string embed = weights.Has("shared.weight") ? "shared.weight" : "encoder.embed_tokens.weight";
  KILN_ASSIGN_OR_RETURN(encoder->embed_tokens_, weights.Get(embed, {config.vocab_size, config.d_model}));
  KILN_ASSIGN_OR_RETURN(encoder->relative_attention_bias_,
                        weights.Get("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                                    {config.relative_attention_num_buckets, config.num_heads}));
  for (int64_t i = 0; i < config.num_layers; ++i) {
    KILN_ASSIGN_OR_RETURN(T5Block block, T5Block::Load(weights, i, config));
    encoder->blocks_.push_back(std::move(block));
  }
  KILN_ASSIGN_OR_RETURN(encoder->final_layer_norm_, weights.Get("encoder.final_layer_norm.weight", {config.d_model}));
  return encoder;
}

Status T5Encoder::ValidateInputs(const int32_t* ids, int64_t batch, int64_t seq_len) const {
  if (batch < 1 || seq_len < 1) {
    return Status::InvalidArgument("t5 encoder: batch (" + std::to_string(batch) + ") and seq_len (" +
                                   std::to_string(seq_len) + ") must be positive");
  }
  if (ids == nullptr) return Status::InvalidArgument("t5 encoder: ids is null");
  for (int64_t i = 0; i < batch * seq_len; ++i) {
    if (ids[i] < 0 || ids[i] >= config_.vocab_size) {
      return Status::InvalidArgument("t5 encoder: token id " + std::to_string(ids[i]) + " at [" +
                                     std::to_string(i / seq_len) + ", " + std::to_string(i % seq_len) +
                                     "] is outside the vocabulary [0, " + std::to_string(config_.vocab_size) + ")");
    }
  }
  return Status::Ok();
}

void T5Encoder::EnsureWorkspace(T5Workspace& ws, int64_t batch, int64_t seq_len) const {
  const T5Config& c = config_;
  const int64_t rows = batch * seq_len;
  const int64_t bias = c.num_heads * seq_len * seq_len;
  EnsureFloats(ws.normed, rows * c.d_model);
  EnsureFloats(ws.q, rows * c.inner_dim());
  EnsureFloats(ws.k, rows * c.inner_dim());
  EnsureFloats(ws.v, rows * c.inner_dim());
  EnsureFloats(ws.attn, rows * c.inner_dim());
  EnsureFloats(ws.sublayer, rows * c.d_model);
  EnsureFloats(ws.ff_hidden, rows * c.d_ff);
  if (c.feed_forward_proj == T5FeedForwardProj::kGatedGelu) EnsureFloats(ws.ff_linear, rows * c.d_ff);
  EnsureFloats(ws.position_bias, bias);
  EnsureFloats(ws.key_bias, rows);
  EnsureFloats(ws.scores, bias);
}

void T5Encoder::Forward(ThreadPool& pool, const int32_t* ids, int64_t batch, int64_t seq_len,
                        const int32_t* attention_mask, float* out, T5Workspace& ws,
                        const T5TraceFn& trace) const {
  const T5Config& c = config_;
  const int64_t rows = batch * seq_len;
  const Shape shape = {batch, seq_len, c.d_model};
  EnsureWorkspace(ws, batch, seq_len);

  // The residual stream lives in out (rows, d_model); the final norm runs in place.
  const float* table = embed_tokens_.f32();  // (vocab_size, d_model)
  for (int64_t r = 0; r < rows; ++r) {
    std::copy_n(table + static_cast<int64_t>(ids[r]) * c.d_model, c.d_model, out + r * c.d_model);
  }
  if (trace) trace("embeddings", out, shape);

  T5PositionBias(ws.position_bias.data(), relative_attention_bias_.f32(), c.num_heads, seq_len,
                 c.relative_attention_num_buckets, c.relative_attention_max_distance);
  // The reference adds (1 − mask)·float_min to masked keys' scores; without
  // a mask it adds (1 − 1)·float_min = 0.
  constexpr float kMasked = std::numeric_limits<float>::lowest();
  for (int64_t r = 0; r < rows; ++r) {
    ws.key_bias[r] = attention_mask == nullptr || attention_mask[r] != 0 ? 0.0f : kMasked;
  }

  for (size_t i = 0; i < blocks_.size(); ++i) {
    blocks_[i].Forward(pool, out, batch, seq_len, ws);
    if (trace) trace("block." + std::to_string(i) + ".output", out, shape);
  }
  cpu::RmsNorm(pool, out, out, final_layer_norm_.f32(), rows, c.d_model,
               static_cast<float>(c.layer_norm_epsilon));
}

}  // namespace kiln
