// T5FeedForward: the feed-forward of one encoder block (HF T5DenseActDense
// for "relu", T5DenseGatedActDense for "gated-gelu"). No biases.
#pragma once

#include <cstdint>
#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/linear_layer.h"
#include "kiln/models/t5/t5_config.h"
#include "kiln/models/t5/t5_workspace.h"

namespace kiln {

struct T5FeedForward {
  T5FeedForwardProj proj = T5FeedForwardProj::kGatedGelu;
  LinearLayer wi;    // (d_ff, d_model): "wi" (relu) or "wi_0" (gated-gelu, the GELU branch)
  LinearLayer wi_1;  // (d_ff, d_model): the linear branch; gated-gelu only
  LinearLayer wo;    // (d_model, d_ff)

  // prefix: "encoder.block.N.layer.1.DenseReluDense"
  static StatusOr<T5FeedForward> Load(const WeightLoader& weights, const std::string& prefix,
                                      const T5Config& config);

  //   out (rows, d_model); in (rows, d_model). Writes ws.ff_hidden, ws.ff_linear.
  void Forward(ThreadPool& pool, float* out, const float* in, int64_t rows, T5Workspace& ws) const;
};

}  // namespace kiln
