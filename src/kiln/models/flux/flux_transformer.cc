#include "kiln/models/flux/flux_transformer.h"

#include <cstring>

#include "kiln/kernels/cpu/elementwise.h"
#include "kiln/kernels/cpu/norm.h"
#include "kiln/kernels/cpu/rope.h"

namespace kiln {
namespace {
constexpr int64_t kTimestepDim = 256;
constexpr float kEps = 1e-6f;

void Trace(const FluxTraceFn& trace, std::string_view name, const float* data, Shape shape) {
  if (trace) trace(name, data, shape);
}

void SizeWorkspace(FluxWorkspace& ws, const FluxConfig& c) {
  const int64_t b = ws.batch, h = c.hidden_size, lt = ws.total_tokens();
  const int64_t rows = b * lt;  // the joint sequence bounds each stream
  EnsureFloats(ws.vec, b * h);
  EnsureFloats(ws.vec_silu, b * h);
  EnsureFloats(ws.embed_in, b * kTimestepDim);
  EnsureFloats(ws.embed_mid, b * h);
  EnsureFloats(ws.img, b * ws.img_tokens * h);
  EnsureFloats(ws.txt, b * ws.txt_tokens * h);
  EnsureFloats(ws.joint, rows * h);
  EnsureFloats(ws.pe, rows * c.head_dim() * 2);
  EnsureFloats(ws.mod_img, b * 6 * h);
  EnsureFloats(ws.mod_txt, b * 6 * h);
  EnsureFloats(ws.normed, rows * h);
  EnsureFloats(ws.qkv, rows * (3 * h + c.mlp_hidden()));
  EnsureFloats(ws.q, rows * h);
  EnsureFloats(ws.k, rows * h);
  EnsureFloats(ws.v, rows * h);
  EnsureFloats(ws.attn, rows * h);
  EnsureFloats(ws.stream, rows * h);
  EnsureFloats(ws.proj, rows * std::max(h, c.out_channels));
  EnsureFloats(ws.mlp, rows * c.mlp_hidden());
}
}  // namespace

StatusOr<std::unique_ptr<FluxTransformer>> FluxTransformer::Load(const SafetensorsFile& file,
                                                                 const FluxConfig& config) {
  KILN_RETURN_IF_ERROR(config.Validate());
  std::unique_ptr<FluxTransformer> m(new FluxTransformer(config));
  const WeightLoader w(file);
  const int64_t h = config.hidden_size;
  KILN_ASSIGN_OR_RETURN(m->img_in_, LinearLayer::Load(w, "img_in", config.in_channels, h, true));
  KILN_ASSIGN_OR_RETURN(m->txt_in_, LinearLayer::Load(w, "txt_in", config.context_in_dim, h, true));
  KILN_ASSIGN_OR_RETURN(m->time_in_, MlpEmbedder::Load(w, "time_in", kTimestepDim, h));
  KILN_ASSIGN_OR_RETURN(m->vector_in_, MlpEmbedder::Load(w, "vector_in", config.vec_in_dim, h));
  if (config.guidance_embed) {
    KILN_ASSIGN_OR_RETURN(m->guidance_in_, MlpEmbedder::Load(w, "guidance_in", kTimestepDim, h));
  }
  for (int64_t i = 0; i < config.depth; ++i) {
    KILN_ASSIGN_OR_RETURN(DoubleStreamBlock block,
                          DoubleStreamBlock::Load(w, "double_blocks." + std::to_string(i), config));
    m->double_blocks_.push_back(std::move(block));
  }
  for (int64_t i = 0; i < config.depth_single_blocks; ++i) {
    KILN_ASSIGN_OR_RETURN(SingleStreamBlock block,
                          SingleStreamBlock::Load(w, "single_blocks." + std::to_string(i), config));
    m->single_blocks_.push_back(std::move(block));
  }
  KILN_ASSIGN_OR_RETURN(m->final_modulation_, LinearLayer::Load(w, "final_layer.adaLN_modulation.1", h, 2 * h, true));
  KILN_ASSIGN_OR_RETURN(m->final_linear_, LinearLayer::Load(w, "final_layer.linear", h, config.out_channels, true));
  return m;
}

Status FluxTransformer::ValidateInputs(const FluxInputs& in) const {
  if (in.batch <= 0 || in.img_tokens <= 0 || in.txt_tokens < 0) {
    return Status::InvalidArgument("flux: batch and img_tokens must be positive, txt_tokens non-negative");
  }
  if (!in.img || !in.img_ids || !in.timesteps || !in.y || (in.txt_tokens > 0 && (!in.txt || !in.txt_ids))) {
    return Status::InvalidArgument("flux: img, img_ids, txt, txt_ids, timesteps and y are required");
  }
  if (config_.guidance_embed && !in.guidance) {
    return Status::InvalidArgument("flux: this model has a guidance embedding ([dev]-type) and needs guidance");
  }
  return Status::Ok();
}

void FluxTransformer::Forward(ThreadPool& pool, const FluxInputs& in, float* out, FluxWorkspace& ws,
                              const FluxTraceFn& trace) const {
  const FluxConfig& c = config_;
  const int64_t h = c.hidden_size, b = in.batch;
  ws.batch = b;
  ws.img_tokens = in.img_tokens;
  ws.txt_tokens = in.txt_tokens;
  SizeWorkspace(ws, c);
  const int64_t lt = ws.total_tokens();

  // Conditioning vector: time_in(t) [+ guidance_in(g)] + vector_in(y).
  TimestepEmbedding(ws.embed_in.data(), in.timesteps, b, kTimestepDim);
  Trace(trace, "time_in.input_timestep_embedding", ws.embed_in.data(), {b, kTimestepDim});
  time_in_.Forward(pool, ws.vec.data(), ws.embed_in.data(), ws.embed_mid.data(), b);
  Trace(trace, "time_in.output", ws.vec.data(), {b, h});
  if (c.guidance_embed) {
    TimestepEmbedding(ws.embed_in.data(), in.guidance, b, kTimestepDim);
    guidance_in_.Forward(pool, ws.vec_silu.data(), ws.embed_in.data(), ws.embed_mid.data(), b);
    Trace(trace, "guidance_in.output", ws.vec_silu.data(), {b, h});
    cpu::Add(pool, ws.vec.data(), ws.vec.data(), ws.vec_silu.data(), b * h);
  }
  vector_in_.Forward(pool, ws.vec_silu.data(), in.y, ws.embed_mid.data(), b);
  Trace(trace, "vector_in.output", ws.vec_silu.data(), {b, h});
  cpu::Add(pool, ws.vec.data(), ws.vec.data(), ws.vec_silu.data(), b * h);
  Trace(trace, "vec", ws.vec.data(), {b, h});
  cpu::Silu(pool, ws.vec_silu.data(), ws.vec.data(), b * h);

  img_in_.Forward(pool, ws.img.data(), in.img, b * in.img_tokens);
  Trace(trace, "img_in.output", ws.img.data(), {b, in.img_tokens, h});
  if (in.txt_tokens > 0) txt_in_.Forward(pool, ws.txt.data(), in.txt, b * in.txt_tokens);
  Trace(trace, "txt_in.output", ws.txt.data(), {b, in.txt_tokens, h});

  // RoPE table over ids = cat(txt_ids, img_ids); ws.joint holds the ids for a moment.
  const int64_t axes = static_cast<int64_t>(c.axes_dim.size());
  float* ids = ws.joint.data();
  for (int64_t i = 0; i < b; ++i) {
    std::memcpy(ids + i * lt * axes, in.txt_ids + i * in.txt_tokens * axes, in.txt_tokens * axes * sizeof(float));
    std::memcpy(ids + (i * lt + in.txt_tokens) * axes, in.img_ids + i * in.img_tokens * axes,
                in.img_tokens * axes * sizeof(float));
  }
  cpu::RopeTable(ws.pe.data(), ids, b, lt, c.axes_dim.data(), static_cast<int>(axes), static_cast<float>(c.theta));
  Trace(trace, "pe", ws.pe.data(), {b, 1, lt, c.head_dim() / 2, 2, 2});

  for (size_t i = 0; i < double_blocks_.size(); ++i) {
    double_blocks_[i].Forward(pool, ws, c);
    const std::string name = "double_blocks." + std::to_string(i) + ".output.";
    Trace(trace, name + "img", ws.img.data(), {b, in.img_tokens, h});
    Trace(trace, name + "txt", ws.txt.data(), {b, in.txt_tokens, h});
  }

  // Single blocks run on the joint sequence [txt, img].
  for (int64_t i = 0; i < b; ++i) {
    std::memcpy(ws.joint.data() + i * lt * h, ws.txt.data() + i * in.txt_tokens * h, in.txt_tokens * h * sizeof(float));
    std::memcpy(ws.joint.data() + (i * lt + in.txt_tokens) * h, ws.img.data() + i * in.img_tokens * h,
                in.img_tokens * h * sizeof(float));
  }
  for (size_t i = 0; i < single_blocks_.size(); ++i) {
    single_blocks_[i].Forward(pool, ws, c);
    Trace(trace, "single_blocks." + std::to_string(i) + ".output_txt_then_img", ws.joint.data(), {b, lt, h});
  }
  for (int64_t i = 0; i < b; ++i) {
    std::memcpy(ws.img.data() + i * in.img_tokens * h, ws.joint.data() + (i * lt + in.txt_tokens) * h,
                in.img_tokens * h * sizeof(float));
  }
  Trace(trace, "final_layer.input_img", ws.img.data(), {b, in.img_tokens, h});

  // Final layer: (1 + scale)·LN(x) + shift, then linear.
  float* mod = ws.mod_img.data();  // (batch, 2·hidden): shift, scale
  final_modulation_.Forward(pool, mod, ws.vec_silu.data(), b);
  const int64_t rows = b * in.img_tokens;
  cpu::LayerNorm(pool, ws.normed.data(), ws.img.data(), rows, h, kEps);
  cpu::Modulate(pool, ws.normed.data(), ws.normed.data(), mod, mod + h, 2 * h, b, in.img_tokens, h);
  final_linear_.Forward(pool, out, ws.normed.data(), rows);
}

double FluxTransformer::ForwardFlops(int64_t batch, int64_t img_tokens, int64_t txt_tokens) const {
  const FluxConfig& c = config_;
  const double h = static_cast<double>(c.hidden_size), mlp = static_cast<double>(c.mlp_hidden());
  const double l = static_cast<double>(img_tokens), t = static_cast<double>(txt_tokens), lt = l + t;
  const double bsz = static_cast<double>(batch);
  // Per token of a stream, a double block has qkv (3h·h), proj (h·h), mlp (2·h·mlp).
  const double per_token_double = 3 * h * h + h * h + 2 * h * mlp;
  const double per_token_single = h * (3 * h + mlp) + (h + mlp) * h;
  const double attention = 2 * lt * lt * h;  // QKᵀ and PV over all heads
  double macs = 0;
  macs += c.depth * (lt * per_token_double + attention);
  macs += c.depth_single_blocks * (lt * per_token_single + attention);
  macs += l * c.in_channels * h + t * c.context_in_dim * h + l * h * c.out_channels;
  macs *= bsz;
  return 2 * macs;
}

}  // namespace kiln
