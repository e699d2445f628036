#include "kiln/models/bert/bert_layer.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kiln/kernels/cpu/elementwise.h"
#include "kiln/kernels/cpu/matmul.h"
#include "kiln/kernels/cpu/norm.h"

namespace kiln {

StatusOr<BertLayer> BertLayer::Load(const WeightLoader& weights, int64_t index, const BertConfig& config) {
  std::string prefix = "encoder.layer.";
  prefix.append(std::to_string(index)).append(".");
  const int64_t h = config.hidden_size, inter = config.intermediate_size;
  BertLayer layer;
  layer.heads = config.num_attention_heads;
  layer.head_dim = config.head_dim();
  layer.layer_norm_eps = static_cast<float>(config.layer_norm_eps);
  layer.activation = config.hidden_act;
  KILN_ASSIGN_OR_RETURN(layer.query, LinearLayer::Load(weights, prefix + "attention.self.query", h, h, true));
  KILN_ASSIGN_OR_RETURN(layer.key, LinearLayer::Load(weights, prefix + "attention.self.key", h, h, true));
  KILN_ASSIGN_OR_RETURN(layer.value, LinearLayer::Load(weights, prefix + "attention.self.value", h, h, true));
  KILN_ASSIGN_OR_RETURN(layer.attention_output,
                        LinearLayer::Load(weights, prefix + "attention.output.dense", h, h, true));
  KILN_ASSIGN_OR_RETURN(layer.attention_norm_weight, weights.Get(prefix + "attention.output.LayerNorm.weight", {h}));
  KILN_ASSIGN_OR_RETURN(layer.attention_norm_bias, weights.Get(prefix + "attention.output.LayerNorm.bias", {h}));
  KILN_ASSIGN_OR_RETURN(layer.intermediate, LinearLayer::Load(weights, prefix + "intermediate.dense", h, inter, true));
  KILN_ASSIGN_OR_RETURN(layer.output, LinearLayer::Load(weights, prefix + "output.dense", inter, h, true));
  KILN_ASSIGN_OR_RETURN(layer.output_norm_weight, weights.Get(prefix + "output.LayerNorm.weight", {h}));
  KILN_ASSIGN_OR_RETURN(layer.output_norm_bias, weights.Get(prefix + "output.LayerNorm.bias", {h}));
  return layer;
}

void BertLayer::Forward(ThreadPool& pool, float* hidden, int64_t batch, int64_t seq_len, BertWorkspace& ws) const {
  const int64_t rows = batch * seq_len, width = heads * head_dim;
  query.Forward(pool, ws.q.data(), hidden, rows);
  key.Forward(pool, ws.k.data(), hidden, rows);
  value.Forward(pool, ws.v.data(), hidden, rows);

  // Head h of item b is the column block [h·head_dim, (h+1)·head_dim) of rows
  // [b·seq_len, (b+1)·seq_len): strided GEMMs read and write it in place.
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  for (int64_t b = 0; b < batch; ++b) {
    const float* key_bias = ws.key_bias.data() + b * seq_len;  // (seq_len)
    pool.ParallelFor(heads, [&](int64_t h0, int64_t h1) {
      // Kernel calls inside a chunk run inline, single-threaded.
      for (int64_t h = h0; h < h1; ++h) {
        const int64_t offset = b * seq_len * width + h * head_dim;
        float* scores = ws.scores.data() + h * seq_len * seq_len;  // (seq_len, seq_len)
        cpu::Gemm(pool, false, true, seq_len, seq_len, head_dim, scale, ws.q.data() + offset, width,
                  ws.k.data() + offset, width, 0.0f, scores, seq_len);
        for (int64_t i = 0; i < seq_len; ++i) {
          for (int64_t j = 0; j < seq_len; ++j) scores[i * seq_len + j] += key_bias[j];
        }
        cpu::Softmax(pool, scores, seq_len, seq_len);
        cpu::Gemm(pool, false, false, seq_len, head_dim, seq_len, 1.0f, scores, seq_len, ws.v.data() + offset,
                  width, 0.0f, ws.attn.data() + offset, width);
      }
    });
  }
  AfterAttention(pool, hidden, rows, ws);
}

void BertLayer::ForwardPacked(ThreadPool& pool, float* hidden, const int64_t* offsets, int64_t batch,
                              BertWorkspace& ws) const {
  const int64_t rows = offsets[batch], width = heads * head_dim;
  query.Forward(pool, ws.q.data(), hidden, rows);
  key.Forward(pool, ws.k.data(), hidden, rows);
  value.Forward(pool, ws.v.data(), hidden, rows);

  // One work item per (sentence, head): a batch of 16 gives 192 items, so
  // both threads stay busy with one hand-off per layer instead of one per
  // sentence. Each thread owns a (max_len, max_len) scores slice.
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  int64_t max_len = 0;
  for (int64_t b = 0; b < batch; ++b) max_len = std::max(max_len, offsets[b + 1] - offsets[b]);
  const int64_t chunks = std::min<int64_t>(pool.num_threads(), batch * heads);
  const int64_t per_chunk = (batch * heads + chunks - 1) / chunks;
  pool.ParallelFor(chunks, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float* scores = ws.scores.data() + c * max_len * max_len;  // (len, len)
      const int64_t end = std::min(batch * heads, (c + 1) * per_chunk);
      for (int64_t item = c * per_chunk; item < end; ++item) {
        const int64_t b = item / heads, h = item % heads;
        const int64_t len = offsets[b + 1] - offsets[b];
        const int64_t offset = offsets[b] * width + h * head_dim;
        // Kernel calls inside a chunk run inline, single-threaded.
        cpu::Gemm(pool, false, true, len, len, head_dim, scale, ws.q.data() + offset, width, ws.k.data() + offset,
                  width, 0.0f, scores, len);
        cpu::Softmax(pool, scores, len, len);
        cpu::Gemm(pool, false, false, len, head_dim, len, 1.0f, scores, len, ws.v.data() + offset, width, 0.0f,
                  ws.attn.data() + offset, width);
      }
    }
  });
  AfterAttention(pool, hidden, rows, ws);
}

void BertLayer::AfterAttention(ThreadPool& pool, float* hidden, int64_t rows, BertWorkspace& ws) const {
  const int64_t h = attention_norm_weight.numel();
  attention_output.Forward(pool, ws.sublayer.data(), ws.attn.data(), rows);
  cpu::Add(pool, ws.sublayer.data(), ws.sublayer.data(), hidden, rows * h);
  cpu::LayerNormAffine(pool, hidden, ws.sublayer.data(), attention_norm_weight.f32(), attention_norm_bias.f32(), rows,
                       h, layer_norm_eps);

  const int64_t inter = intermediate.out_features;
  intermediate.Forward(pool, ws.intermediate.data(), hidden, rows);
  if (activation == BertActivation::kGeluErf) {
    cpu::GeluErf(pool, ws.intermediate.data(), ws.intermediate.data(), rows * inter);
  } else {
    cpu::GeluTanh(pool, ws.intermediate.data(), ws.intermediate.data(), rows * inter);
  }
  output.Forward(pool, ws.sublayer.data(), ws.intermediate.data(), rows);
  cpu::Add(pool, ws.sublayer.data(), ws.sublayer.data(), hidden, rows * h);
  cpu::LayerNormAffine(pool, hidden, ws.sublayer.data(), output_norm_weight.f32(), output_norm_bias.f32(), rows, h,
                       layer_norm_eps);
}

}  // namespace kiln
