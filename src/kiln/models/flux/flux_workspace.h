// FluxWorkspace: the activation buffers of one transformer forward, kept
// between calls so that the denoising loop allocates nothing after its first
// step. Buffers only grow. Not thread-safe: one workspace per concurrent forward.
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/models/workspace_buffer.h"

namespace kiln {

struct FluxWorkspace {
  // Sizes of the current call.
  int64_t batch = 0, img_tokens = 0, txt_tokens = 0;
  int64_t total_tokens() const { return img_tokens + txt_tokens; }

  std::vector<float> vec;        // (batch, hidden): the modulation input
  std::vector<float> vec_silu;   // (batch, hidden): silu(vec), what every Modulation reads
  std::vector<float> embed_in;   // (batch, 256): a timestep embedding
  std::vector<float> embed_mid;  // (batch, hidden)
  std::vector<float> img;        // (batch, img_tokens, hidden)
  std::vector<float> txt;        // (batch, txt_tokens, hidden)
  std::vector<float> joint;      // (batch, total_tokens, hidden): single-stream activations
  std::vector<float> pe;         // (batch, total_tokens, head_dim/2, 2, 2)
  std::vector<float> mod_img;    // (batch, 6·hidden)
  std::vector<float> mod_txt;    // (batch, 6·hidden)
  std::vector<float> normed;     // (batch·max_tokens, hidden)
  std::vector<float> qkv;        // (batch·max_tokens, 3·hidden + mlp_hidden)
  std::vector<float> q, k, v;    // (batch, heads, total_tokens, head_dim)
  std::vector<float> attn;       // (batch, total_tokens, hidden)
  std::vector<float> stream;     // (batch·max_tokens, hidden): one stream's slice of attn
  std::vector<float> proj;       // (batch·max_tokens, hidden)
  std::vector<float> mlp;        // (batch·max_tokens, mlp_hidden)

};

}  // namespace kiln
