// T5Workspace: the activation buffers of one T5 encoder forward, kept between
// calls so that encoding prompt after prompt allocates nothing once the
// largest (batch, seq_len) has been seen. Buffers only grow. Not thread-safe:
// one workspace per concurrent forward.
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/models/workspace_buffer.h"

namespace kiln {

struct T5Workspace {
  std::vector<float> normed;         // (batch·seq_len, d_model): a block's layer-norm output
  std::vector<float> q, k, v;        // (batch·seq_len, inner_dim), i.e. (batch, seq_len, heads, d_kv)
  std::vector<float> attn;           // (batch·seq_len, inner_dim): heads side by side, before o
  std::vector<float> sublayer;       // (batch·seq_len, d_model): attention or feed-forward output
  std::vector<float> ff_hidden;      // (batch·seq_len, d_ff): wi / wi_0 output
  std::vector<float> ff_linear;      // (batch·seq_len, d_ff): wi_1 output (gated-gelu only)
  std::vector<float> position_bias;  // (heads, seq_len, seq_len): block 0's, shared by all blocks
  std::vector<float> key_bias;       // (batch, seq_len): 0 for a real key, float lowest for a masked one
  // (heads, seq_len, seq_len): one batch item's scores, then probabilities.
  // Per item rather than per batch: (heads·seq_len²) is already 64 MiB for
  // T5-XXL at 512 tokens.
  std::vector<float> scores;
};

}  // namespace kiln
