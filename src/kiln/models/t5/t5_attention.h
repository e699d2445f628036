// T5Attention: the self-attention of one encoder block (HF T5Attention with
// is_decoder=False): scores q·kᵀ with no 1/√d_kv (T5 folds it into the
// initialisation of q), plus the relative position bias and the key mask,
// softmax, then ·v and the output projection. No biases anywhere.
#pragma once

#include <cstdint>
#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/linear_layer.h"
#include "kiln/models/t5/t5_config.h"
#include "kiln/models/t5/t5_workspace.h"

namespace kiln {

struct T5Attention {
  LinearLayer q;  // (inner_dim, d_model)
  LinearLayer k;  // (inner_dim, d_model)
  LinearLayer v;  // (inner_dim, d_model)
  LinearLayer o;  // (d_model, inner_dim)
  int64_t heads = 0;
  int64_t head_dim = 0;  // d_kv

  // prefix: "encoder.block.N.layer.0.SelfAttention"
  static StatusOr<T5Attention> Load(const WeightLoader& weights, const std::string& prefix,
                                    const T5Config& config);

  //   out (batch·seq_len, d_model); in (batch·seq_len, d_model)
  // Reads ws.position_bias (heads, seq_len, seq_len) and ws.key_bias
  // (batch, seq_len); writes ws.q, ws.k, ws.v, ws.scores, ws.attn.
  void Forward(ThreadPool& pool, float* out, const float* in, int64_t batch, int64_t seq_len,
               T5Workspace& ws) const;
};

}  // namespace kiln
