#include "kiln/models/flux/flux_weight_shapes.h"

namespace kiln {
namespace {

void AddLinear(std::vector<std::pair<std::string, Shape>>& out, const std::string& name, int64_t in,
               int64_t out_features, bool bias = true) {
  out.emplace_back(name + ".weight", Shape{out_features, in});
  if (bias) out.emplace_back(name + ".bias", Shape{out_features});
}

void AddMlpEmbedder(std::vector<std::pair<std::string, Shape>>& out, const std::string& name, int64_t in,
                    int64_t hidden) {
  AddLinear(out, name + ".in_layer", in, hidden);
  AddLinear(out, name + ".out_layer", hidden, hidden);
}

}  // namespace

std::vector<std::pair<std::string, Shape>> FluxWeightShapes(const FluxConfig& c) {
  std::vector<std::pair<std::string, Shape>> out;
  const int64_t h = c.hidden_size, mlp = c.mlp_hidden(), d = c.head_dim();
  AddLinear(out, "img_in", c.in_channels, h);
  AddMlpEmbedder(out, "time_in", 256, h);
  AddMlpEmbedder(out, "vector_in", c.vec_in_dim, h);
  if (c.guidance_embed) AddMlpEmbedder(out, "guidance_in", 256, h);
  AddLinear(out, "txt_in", c.context_in_dim, h);
  for (int64_t i = 0; i < c.depth; ++i) {
    for (const char* stream : {"img", "txt"}) {
      const std::string p = "double_blocks." + std::to_string(i) + "." + stream;
      AddLinear(out, p + "_mod.lin", h, 6 * h);
      AddLinear(out, p + "_attn.qkv", h, 3 * h, c.qkv_bias);
      out.emplace_back(p + "_attn.norm.query_norm.scale", Shape{d});
      out.emplace_back(p + "_attn.norm.key_norm.scale", Shape{d});
      AddLinear(out, p + "_attn.proj", h, h);
      AddLinear(out, p + "_mlp.0", h, mlp);
      AddLinear(out, p + "_mlp.2", mlp, h);
    }
  }
  for (int64_t i = 0; i < c.depth_single_blocks; ++i) {
    const std::string p = "single_blocks." + std::to_string(i);
    AddLinear(out, p + ".linear1", h, 3 * h + mlp);
    AddLinear(out, p + ".linear2", h + mlp, h);
    out.emplace_back(p + ".norm.query_norm.scale", Shape{d});
    out.emplace_back(p + ".norm.key_norm.scale", Shape{d});
    AddLinear(out, p + ".modulation.lin", h, 3 * h);
  }
  AddLinear(out, "final_layer.linear", h, c.out_channels);
  AddLinear(out, "final_layer.adaLN_modulation.1", h, 2 * h);
  return out;
}

}  // namespace kiln
