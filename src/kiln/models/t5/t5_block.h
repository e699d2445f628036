// T5Block: one encoder block (HF T5Block, encoder side): pre-norm
// self-attention then pre-norm feed-forward, each added to the residual
// stream. T5's layer norm is an RMS norm with a scale and no bias or mean.
#pragma once

#include <cstdint>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/t5/t5_attention.h"
#include "kiln/models/t5/t5_config.h"
#include "kiln/models/t5/t5_feed_forward.h"
#include "kiln/models/t5/t5_workspace.h"
#include "kiln/models/weight_loader.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct T5Block {
  Tensor attention_norm;  // (d_model): layer.0.layer_norm.weight
  T5Attention attention;  // layer.0.SelfAttention
  Tensor ff_norm;         // (d_model): layer.1.layer_norm.weight
  T5FeedForward ff;       // layer.1.DenseReluDense
  float layer_norm_epsilon = 1e-6f;

  // Loads "encoder.block.<index>.*".
  static StatusOr<T5Block> Load(const WeightLoader& weights, int64_t index, const T5Config& config);

  //   hidden (batch·seq_len, d_model): the residual stream, updated in place.
  // Reads ws.position_bias and ws.key_bias (see T5Attention::Forward).
  void Forward(ThreadPool& pool, float* hidden, int64_t batch, int64_t seq_len, T5Workspace& ws) const;
};

}  // namespace kiln
