#include "kiln/models/flux/flux_config.h"

#include <nlohmann/json.hpp>

#include "kiln/base/json_fields.h"
#include <numeric>

namespace kiln {
StatusOr<FluxConfig> FluxConfig::FromJson(const std::string& text) {
  KILN_ASSIGN_OR_RETURN(nlohmann::json object, JsonFields::ParseObject(text, "flux config"));
  // The golden files wrap the params as {"FluxParams": {...}} or a case's {"params": {...}}.
  for (const char* wrapper : {"FluxParams", "params"}) {
    if (object.size() == 1 && object.contains(wrapper) && object[wrapper].is_object()) {
      nlohmann::json inner = object[wrapper];
      object = std::move(inner);
    }
  }
  FluxConfig c;
  JsonFields fields(object, "flux config");
  KILN_RETURN_IF_ERROR(fields.Int("in_channels", &c.in_channels));
  KILN_RETURN_IF_ERROR(fields.Int("out_channels", &c.out_channels));
  KILN_RETURN_IF_ERROR(fields.Int("vec_in_dim", &c.vec_in_dim));
  KILN_RETURN_IF_ERROR(fields.Int("context_in_dim", &c.context_in_dim));
  KILN_RETURN_IF_ERROR(fields.Int("hidden_size", &c.hidden_size));
  KILN_RETURN_IF_ERROR(fields.Double("mlp_ratio", &c.mlp_ratio));
  KILN_RETURN_IF_ERROR(fields.Int("num_heads", &c.num_heads));
  KILN_RETURN_IF_ERROR(fields.Int("depth", &c.depth));
  KILN_RETURN_IF_ERROR(fields.Int("depth_single_blocks", &c.depth_single_blocks));
  KILN_RETURN_IF_ERROR(fields.IntList("axes_dim", &c.axes_dim));
  KILN_RETURN_IF_ERROR(fields.Double("theta", &c.theta));
  KILN_RETURN_IF_ERROR(fields.Bool("qkv_bias", &c.qkv_bias));
  KILN_RETURN_IF_ERROR(fields.Bool("guidance_embed", &c.guidance_embed));
  // The official FluxParams(**d) refuses unknown fields too.
  KILN_RETURN_IF_ERROR(fields.RejectUnknown());
  KILN_RETURN_IF_ERROR(c.Validate());
  return c;
}

StatusOr<FluxConfig> FluxConfig::InferFromWeights(const SafetensorsFile& file, const FluxConfig& base) {
  FluxConfig c = base;
  auto shape = [&](const std::string& name) -> const Shape* {
    const TensorEntry* e = file.Find(name);
    return e ? &e->shape : nullptr;
  };
  const Shape* img_in = shape("img_in.weight");
  const Shape* txt_in = shape("txt_in.weight");
  const Shape* vector_in = shape("vector_in.in_layer.weight");
  const Shape* final_linear = shape("final_layer.linear.weight");
  if (!img_in || !txt_in || !vector_in || !final_linear || img_in->size() != 2 ||
      txt_in->size() != 2 || vector_in->size() != 2 || final_linear->size() != 2) {
    return Status::InvalidArgument(file.label() +
                                   ": not a FLUX.1 transformer checkpoint (img_in, txt_in, "
                                   "vector_in or final_layer.linear weights missing or not 2-d)");
  }
  c.hidden_size = (*img_in)[0];
  c.in_channels = (*img_in)[1];
  c.context_in_dim = (*txt_in)[1];
  c.vec_in_dim = (*vector_in)[1];
  c.out_channels = (*final_linear)[0];
  c.depth = 0;
  while (file.Contains("double_blocks." + std::to_string(c.depth) + ".img_mod.lin.weight")) ++c.depth;
  c.depth_single_blocks = 0;
  while (file.Contains("single_blocks." + std::to_string(c.depth_single_blocks) + ".linear1.weight")) {
    ++c.depth_single_blocks;
  }
  const std::string norm = c.depth > 0 ? "double_blocks.0.img_attn.norm.query_norm.scale"
                                       : "single_blocks.0.norm.query_norm.scale";
  if (const Shape* s = shape(norm); s && s->size() == 1 && (*s)[0] > 0) {
    c.num_heads = c.hidden_size / (*s)[0];
  }
  if (const Shape* s = shape("double_blocks.0.img_mlp.0.weight"); s && !s->empty()) {
    c.mlp_ratio = static_cast<double>((*s)[0]) / static_cast<double>(c.hidden_size);
  } else if (const Shape* s1 = shape("single_blocks.0.linear1.weight"); s1 && !s1->empty()) {
    c.mlp_ratio = static_cast<double>((*s1)[0] - 3 * c.hidden_size) / static_cast<double>(c.hidden_size);
  }
  c.qkv_bias = file.Contains(c.depth > 0 ? "double_blocks.0.img_attn.qkv.bias" : "single_blocks.0.linear1.bias");
  c.guidance_embed = file.Contains("guidance_in.in_layer.weight");
  KILN_RETURN_IF_ERROR(c.Validate().WithContext(file.label()));
  return c;
}

std::string FluxConfig::ToJson() const {
  nlohmann::json j = {{"in_channels", in_channels},   {"out_channels", out_channels},
            {"vec_in_dim", vec_in_dim},     {"context_in_dim", context_in_dim},
            {"hidden_size", hidden_size},   {"mlp_ratio", mlp_ratio},
            {"num_heads", num_heads},       {"depth", depth},
            {"depth_single_blocks", depth_single_blocks},
            {"axes_dim", axes_dim},         {"theta", theta},
            {"qkv_bias", qkv_bias},         {"guidance_embed", guidance_embed}};
  return j.dump();
}

Status FluxConfig::Validate() const {
  auto bad = [](const std::string& what) { return Status::InvalidArgument("flux config: " + what); };
  if (in_channels <= 0 || out_channels <= 0 || vec_in_dim <= 0 || context_in_dim <= 0) {
    return bad("in_channels, out_channels, vec_in_dim and context_in_dim must be positive");
  }
  if (hidden_size <= 0 || num_heads <= 0 || hidden_size % num_heads != 0) {
    return bad("hidden_size " + std::to_string(hidden_size) + " is not divisible by num_heads " +
               std::to_string(num_heads));
  }
  if (mlp_ratio <= 0 || depth < 0 || depth_single_blocks < 0) {
    return bad("mlp_ratio must be positive and depths non-negative");
  }
  if (axes_dim.empty()) return bad("axes_dim is empty");
  for (int64_t d : axes_dim) {
    if (d <= 0 || d % 2 != 0) return bad("every axes_dim entry must be positive and even");
  }
  const int64_t sum = std::accumulate(axes_dim.begin(), axes_dim.end(), int64_t{0});
  if (sum != head_dim()) {
    return bad("sum of axes_dim (" + std::to_string(sum) + ") must equal hidden_size/num_heads (" +
               std::to_string(head_dim()) + ")");
  }
  if (theta <= 0) return bad("theta must be positive");
  return Status::Ok();
}

}  // namespace kiln
