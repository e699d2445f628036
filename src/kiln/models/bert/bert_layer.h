// BertLayer: one encoder layer of HF BertModel (post-norm): self-attention
// (query/key/value with biases, scores / √head_dim + the key mask, softmax),
// attention.output.dense + residual + LayerNorm, then intermediate.dense + GELU,
// output.dense + residual + LayerNorm.
#pragma once

#include <cstdint>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/bert/bert_config.h"
#include "kiln/models/bert/bert_workspace.h"
#include "kiln/models/linear_layer.h"
#include "kiln/models/weight_loader.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct BertLayer {
  LinearLayer query, key, value;  // attention.self.*: (hidden, hidden)
  LinearLayer attention_output;   // attention.output.dense: (hidden, hidden)
  Tensor attention_norm_weight, attention_norm_bias;  // attention.output.LayerNorm: (hidden)
  LinearLayer intermediate;       // intermediate.dense: (intermediate_size, hidden)
  LinearLayer output;             // output.dense: (hidden, intermediate_size)
  Tensor output_norm_weight, output_norm_bias;  // output.LayerNorm: (hidden)
  int64_t heads = 0;
  int64_t head_dim = 0;
  float layer_norm_eps = 1e-12f;
  BertActivation activation = BertActivation::kGeluErf;

  // Loads "encoder.layer.<index>.*".
  static StatusOr<BertLayer> Load(const WeightLoader& weights, int64_t index, const BertConfig& config);

  //   hidden (batch·seq_len, hidden_size): the residual stream, updated in place.
  // Reads ws.key_bias (batch, seq_len).
  void Forward(ThreadPool& pool, float* hidden, int64_t batch, int64_t seq_len, BertWorkspace& ws) const;

  // The same on packed sentences: no padding anywhere. Sentence b is rows
  // [offsets[b], offsets[b+1]) of hidden (total_tokens, hidden_size), all of
  // them real tokens. The dense layers run once over all total_tokens rows;
  // attention runs per (sentence, head) on the sentence's own span, so no
  // FLOP is spent on padding and no key mask is needed.
  //   offsets (batch + 1), offsets[0] = 0, offsets[batch] = total_tokens
  void ForwardPacked(ThreadPool& pool, float* hidden, const int64_t* offsets, int64_t batch,
                     BertWorkspace& ws) const;

  // What follows attention, the same per row in both layouts: output
  // projection + residual + LayerNorm, then the FFN + residual + LayerNorm,
  // over ws.attn into hidden (rows, hidden_size).
  void AfterAttention(ThreadPool& pool, float* hidden, int64_t rows, BertWorkspace& ws) const;
};

}  // namespace kiln
