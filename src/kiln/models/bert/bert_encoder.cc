#include "kiln/models/bert/bert_encoder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "kiln/kernels/cpu/norm.h"
#include "kiln/models/weight_loader.h"

namespace kiln {

StatusOr<std::unique_ptr<BertEncoder>> BertEncoder::Load(const SafetensorsFile& file, const BertConfig& config) {
  KILN_RETURN_IF_ERROR(config.Validate());
  // BertModel's own checkpoints have bare names; those saved from a task head
  // (BertForMaskedLM, …) put them under "bert.".
  const std::string prefix = file.Contains("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  const WeightLoader weights(file, prefix);
  const int64_t h = config.hidden_size;
  std::unique_ptr<BertEncoder> encoder(new BertEncoder(config));
  KILN_ASSIGN_OR_RETURN(encoder->word_embeddings_,
                        weights.Get("embeddings.word_embeddings.weight", {config.vocab_size, h}));
  KILN_ASSIGN_OR_RETURN(encoder->position_embeddings_,
                        weights.Get("embeddings.position_embeddings.weight", {config.max_position_embeddings, h}));
  KILN_ASSIGN_OR_RETURN(encoder->token_type_embeddings_,
                        weights.Get("embeddings.token_type_embeddings.weight", {config.type_vocab_size, h}));
  KILN_ASSIGN_OR_RETURN(encoder->embeddings_norm_weight_, weights.Get("embeddings.LayerNorm.weight", {h}));
  KILN_ASSIGN_OR_RETURN(encoder->embeddings_norm_bias_, weights.Get("embeddings.LayerNorm.bias", {h}));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    KILN_ASSIGN_OR_RETURN(BertLayer layer, BertLayer::Load(weights, i, config));
    encoder->layers_.push_back(std::move(layer));
  }
  return encoder;
}

Status BertEncoder::ValidateInputs(const int32_t* ids, const int32_t* token_type_ids, int64_t batch,
                                   int64_t seq_len) const {
  if (batch < 1 || seq_len < 1 || seq_len > config_.max_position_embeddings) {
    std::string message = "bert encoder: batch (";
    message.append(std::to_string(batch)).append(") must be positive and seq_len (");
    message.append(std::to_string(seq_len)).append(") in [1, ");
    message.append(std::to_string(config_.max_position_embeddings)).append("]");
    return Status::InvalidArgument(message);
  }
  if (ids == nullptr) return Status::InvalidArgument("bert encoder: ids is null");
  auto check = [&](const int32_t* values, int64_t limit, const char* what) {
    for (int64_t i = 0; i < batch * seq_len; ++i) {
      if (values[i] < 0 || values[i] >= limit) {
        std::string message = "bert encoder: ";
        message.append(what).append(" ").append(std::to_string(values[i])).append(" at [");
        message.append(std::to_string(i / seq_len)).append(", ").append(std::to_string(i % seq_len));
        message.append("] is outside [0, ").append(std::to_string(limit)).append(")");
        return Status::InvalidArgument(message);
      }
    }
    return Status::Ok();
  };
  KILN_RETURN_IF_ERROR(check(ids, config_.vocab_size, "token id"));
  if (token_type_ids != nullptr) {
    KILN_RETURN_IF_ERROR(check(token_type_ids, config_.type_vocab_size, "token type id"));
  }
  return Status::Ok();
}

void BertEncoder::EnsureWorkspace(BertWorkspace& ws, int64_t batch, int64_t seq_len) const {
  const BertConfig& c = config_;
  const int64_t rows = batch * seq_len;
  EnsureFloats(ws.q, rows * c.hidden_size);
  EnsureFloats(ws.k, rows * c.hidden_size);
  EnsureFloats(ws.v, rows * c.hidden_size);
  EnsureFloats(ws.attn, rows * c.hidden_size);
  EnsureFloats(ws.sublayer, rows * c.hidden_size);
  EnsureFloats(ws.intermediate, rows * c.intermediate_size);
  EnsureFloats(ws.key_bias, rows);
  EnsureFloats(ws.scores, c.num_attention_heads * seq_len * seq_len);
}

void BertEncoder::Forward(ThreadPool& pool, const int32_t* ids, const int32_t* token_type_ids,
                          const int32_t* attention_mask, int64_t batch, int64_t seq_len, float* out,
                          BertWorkspace& ws) const {
  const BertConfig& c = config_;
  const int64_t rows = batch * seq_len, h = c.hidden_size;
  EnsureWorkspace(ws, batch, seq_len);

  // The residual stream lives in out (rows, hidden). Embeddings in HF's
  // order: (word + token type) + position, then LayerNorm.
  const float* word = word_embeddings_.f32();
  const float* position = position_embeddings_.f32();
  const float* token_type = token_type_embeddings_.f32();
  for (int64_t r = 0; r < rows; ++r) {
    const float* w = word + static_cast<int64_t>(ids[r]) * h;
    const float* p = position + (r % seq_len) * h;
    const float* t = token_type + (token_type_ids == nullptr ? 0 : static_cast<int64_t>(token_type_ids[r])) * h;
    float* y = out + r * h;
    for (int64_t i = 0; i < h; ++i) y[i] = (w[i] + t[i]) + p[i];
  }
  cpu::LayerNormAffine(pool, out, out, embeddings_norm_weight_.f32(), embeddings_norm_bias_.f32(), rows, h,
                       static_cast<float>(c.layer_norm_eps));

  // HF adds (1 − mask)·float_min to masked keys' scores: their probability is 0.
  constexpr float kMasked = std::numeric_limits<float>::lowest();
  for (int64_t r = 0; r < rows; ++r) {
    ws.key_bias[r] = attention_mask == nullptr || attention_mask[r] != 0 ? 0.0f : kMasked;
  }
  for (const BertLayer& layer : layers_) layer.Forward(pool, out, batch, seq_len, ws);
}

void BertEncoder::ForwardPacked(ThreadPool& pool, const int32_t* ids, const int32_t* token_type_ids,
                                const int64_t* offsets, int64_t batch, float* out, BertWorkspace& ws) const {
  const BertConfig& c = config_;
  const int64_t rows = offsets[batch], h = c.hidden_size;
  int64_t max_len = 0;
  for (int64_t b = 0; b < batch; ++b) max_len = std::max(max_len, offsets[b + 1] - offsets[b]);
  EnsureFloats(ws.q, rows * h);
  EnsureFloats(ws.k, rows * h);
  EnsureFloats(ws.v, rows * h);
  EnsureFloats(ws.attn, rows * h);
  EnsureFloats(ws.sublayer, rows * h);
  EnsureFloats(ws.intermediate, rows * c.intermediate_size);
  // One (max_len, max_len) scores slice per thread (BertLayer::ForwardPacked).
  EnsureFloats(ws.scores, pool.num_threads() * max_len * max_len);

  const float* word = word_embeddings_.f32();
  const float* position = position_embeddings_.f32();
  const float* token_type = token_type_embeddings_.f32();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t r = offsets[b]; r < offsets[b + 1]; ++r) {
      const float* w = word + static_cast<int64_t>(ids[r]) * h;
      const float* p = position + (r - offsets[b]) * h;
      const float* t = token_type + (token_type_ids == nullptr ? 0 : static_cast<int64_t>(token_type_ids[r])) * h;
      float* y = out + r * h;
      for (int64_t i = 0; i < h; ++i) y[i] = (w[i] + t[i]) + p[i];
    }
  }
  cpu::LayerNormAffine(pool, out, out, embeddings_norm_weight_.f32(), embeddings_norm_bias_.f32(), rows, h,
                       static_cast<float>(c.layer_norm_eps));
  for (const BertLayer& layer : layers_) layer.ForwardPacked(pool, out, offsets, batch, ws);
}

namespace {

// A sum of `count` rows → their mean, L2-normalised when asked (sentence-transformers' epsilons).
void FinishMean(float* y, float count, int64_t dim, bool normalize) {
  const float denominator = std::max(count, 1e-9f);
  for (int64_t i = 0; i < dim; ++i) y[i] /= denominator;
  if (!normalize) return;
  double norm = 0.0;
  for (int64_t i = 0; i < dim; ++i) norm += static_cast<double>(y[i]) * y[i];
  const float length = std::max(static_cast<float>(std::sqrt(norm)), 1e-12f);
  for (int64_t i = 0; i < dim; ++i) y[i] /= length;
}

}  // namespace

void MeanPoolPacked(const float* hidden, const int64_t* offsets, int64_t batch, int64_t dim, bool normalize,
                    float* out) {
  for (int64_t b = 0; b < batch; ++b) {
    float* y = out + b * dim;
    std::fill_n(y, dim, 0.0f);
    float count = 0.0f;
    for (int64_t t = offsets[b]; t < offsets[b + 1]; ++t) {
      count += 1.0f;
      const float* x = hidden + t * dim;
      for (int64_t i = 0; i < dim; ++i) y[i] += x[i];
    }
    FinishMean(y, count, dim, normalize);
  }
}

void MeanPool(const float* hidden, const int32_t* attention_mask, int64_t batch, int64_t seq_len, int64_t dim,
              bool normalize, float* out) {
  for (int64_t b = 0; b < batch; ++b) {
    float* y = out + b * dim;
    std::fill_n(y, dim, 0.0f);
    float count = 0.0f;
    for (int64_t t = 0; t < seq_len; ++t) {
      if (attention_mask[b * seq_len + t] == 0) continue;
      count += 1.0f;
      const float* x = hidden + (b * seq_len + t) * dim;
      for (int64_t i = 0; i < dim; ++i) y[i] += x[i];
    }
    FinishMean(y, count, dim, normalize);
  }
}

}  // namespace kiln
