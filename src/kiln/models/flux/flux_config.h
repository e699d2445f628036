// FluxConfig: the hyper-parameters of a FLUX.1 MMDiT (the official FluxParams).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/checkpoint/safetensors.h"

namespace kiln {

struct FluxConfig {
  // Defaults are FLUX.1 [dev]'s.
  int64_t in_channels = 64;        // packed latent dims per image token (16 channels × 2 × 2)
  int64_t out_channels = 64;
  int64_t vec_in_dim = 768;        // pooled text vector (CLIP) width
  int64_t context_in_dim = 4096;   // text token (T5) width
  int64_t hidden_size = 3072;
  double mlp_ratio = 4.0;
  int64_t num_heads = 24;
  int64_t depth = 19;              // double-stream blocks
  int64_t depth_single_blocks = 38;
  std::vector<int64_t> axes_dim = {16, 56, 56};  // RoPE dims per id axis; sum = head_dim
  double theta = 10000;
  bool qkv_bias = true;
  bool guidance_embed = true;      // [dev]: true; [schnell]: false

  int64_t head_dim() const { return hidden_size / num_heads; }
  int64_t mlp_hidden() const { return static_cast<int64_t>(hidden_size * mlp_ratio); }

  // Parses the official FluxParams field names; absent fields keep the
  // defaults. A field of the wrong type is an error naming it.
  static StatusOr<FluxConfig> FromJson(const std::string& json);
  // Reads every size the weights determine (widths, depths, heads from the
  // QK-norm scale, qkv bias, guidance embedding); axes_dim and theta, which
  // the weights do not fix, come from base.
  static StatusOr<FluxConfig> InferFromWeights(const SafetensorsFile& file, const FluxConfig& base);
  std::string ToJson() const;

  // Checks internal consistency (divisibility, Σ axes_dim = head_dim, even dims).
  Status Validate() const;
};

}  // namespace kiln
