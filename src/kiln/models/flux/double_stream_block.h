// DoubleStreamBlock: a FLUX.1 MMDiT block with separate weights for the image
// and text streams and one joint attention over [txt, img] tokens
// (flux.modules.layers.DoubleStreamBlock).
#pragma once

#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/flux/flux_config.h"
#include "kiln/models/flux/flux_workspace.h"
#include "kiln/models/linear_layer.h"

namespace kiln {

// The weights of one stream of a double block (img_* or txt_*).
struct FluxStreamWeights {
  LinearLayer mod;    // (6·hidden, hidden): shift, scale, gate for attention then MLP
  LinearLayer qkv;    // (3·hidden, hidden)
  Tensor q_scale;     // (head_dim): QKNorm
  Tensor k_scale;     // (head_dim)
  LinearLayer proj;   // (hidden, hidden)
  LinearLayer mlp0;   // (mlp_hidden, hidden)
  LinearLayer mlp2;   // (hidden, mlp_hidden)

  static StatusOr<FluxStreamWeights> Load(const WeightLoader& weights, const std::string& prefix,
                                          const std::string& stream, const FluxConfig& config);
};

struct DoubleStreamBlock {
  FluxStreamWeights img;
  FluxStreamWeights txt;

  // prefix: "double_blocks.N"
  static StatusOr<DoubleStreamBlock> Load(const WeightLoader& weights, const std::string& prefix,
                                          const FluxConfig& config);

  // Updates ws.img and ws.txt in place. Reads ws.vec_silu and ws.pe.
  void Forward(ThreadPool& pool, FluxWorkspace& ws, const FluxConfig& config) const;
};

}  // namespace kiln
