// BertWorkspace: the activation buffers of one BERT encoder forward, kept
// between calls so that embedding batch after batch allocates nothing once the
// largest (batch, seq_len) has been seen. Buffers only grow. Not thread-safe:
// one workspace per concurrent forward.
#pragma once

#include <vector>

#include "kiln/models/workspace_buffer.h"

namespace kiln {

struct BertWorkspace {
  std::vector<float> q, k, v;        // (batch·seq_len, hidden): (batch, seq_len, heads, head_dim)
  std::vector<float> attn;           // (batch·seq_len, hidden): heads side by side, before attention.output.dense
  std::vector<float> sublayer;       // (batch·seq_len, hidden): a dense output, then + residual
  std::vector<float> intermediate;   // (batch·seq_len, intermediate_size)
  std::vector<float> key_bias;       // (batch·seq_len): 0 for a real key, float lowest for padding
  std::vector<float> scores;         // (heads, seq_len, seq_len): one batch item's scores, then probabilities
};

}  // namespace kiln
