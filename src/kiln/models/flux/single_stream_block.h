// SingleStreamBlock: a FLUX.1 DiT block over the joint [txt, img] sequence
// with parallel attention and MLP (flux.modules.layers.SingleStreamBlock):
// linear1 → [qkv | mlp], linear2 on cat(attention, gelu(mlp)).
#pragma once

#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/flux/flux_config.h"
#include "kiln/models/flux/flux_workspace.h"
#include "kiln/models/linear_layer.h"

namespace kiln {

struct SingleStreamBlock {
  LinearLayer modulation;  // (3·hidden, hidden): shift, scale, gate
  LinearLayer linear1;     // (3·hidden + mlp_hidden, hidden)
  LinearLayer linear2;     // (hidden, hidden + mlp_hidden)
  Tensor q_scale;          // (head_dim)
  Tensor k_scale;          // (head_dim)

  // prefix: "single_blocks.N"
  static StatusOr<SingleStreamBlock> Load(const WeightLoader& weights, const std::string& prefix,
                                          const FluxConfig& config);

  // Updates ws.joint (batch, total_tokens, hidden) in place. Reads ws.vec_silu and ws.pe.
  void Forward(ThreadPool& pool, FluxWorkspace& ws, const FluxConfig& config) const;
};

}  // namespace kiln
