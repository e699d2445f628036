// FluxTransformer: the FLUX.1 MMDiT (flux.model.Flux), [dev] with the
// guidance embedding or [schnell] without, with weights found by the official
// key names so flux1-dev.safetensors / flux1-schnell.safetensors load unchanged.
//
// Forward is const but uses a caller-owned FluxWorkspace, so one loaded model
// can serve several threads, each with its own workspace.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/flux/double_stream_block.h"
#include "kiln/models/flux/flux_config.h"
#include "kiln/models/flux/flux_embedders.h"
#include "kiln/models/flux/flux_workspace.h"
#include "kiln/models/flux/single_stream_block.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

// Inputs of one forward, all f32 (the arguments of flux.model.Flux.forward).
struct FluxInputs {
  const float* img = nullptr;        // (batch, img_tokens, in_channels): packed latent
  const float* img_ids = nullptr;    // (batch, img_tokens, num_axes)
  const float* txt = nullptr;        // (batch, txt_tokens, context_in_dim)
  const float* txt_ids = nullptr;    // (batch, txt_tokens, num_axes)
  const float* timesteps = nullptr;  // (batch): t in [0, 1]
  const float* y = nullptr;          // (batch, vec_in_dim): pooled text vector
  const float* guidance = nullptr;   // (batch); REQUIRED iff config.guidance_embed
  int64_t batch = 1;
  int64_t img_tokens = 0;
  int64_t txt_tokens = 0;
};

// Observes named activations, with the names of the golden intermediates
// ("img_in.output", "double_blocks.0.output.img", ...). For debugging parity.
using FluxTraceFn = std::function<void(std::string_view name, const float* data, const Shape& shape)>;

class FluxTransformer {
 public:
  static StatusOr<std::unique_ptr<FluxTransformer>> Load(const SafetensorsFile& file, const FluxConfig& config);

  const FluxConfig& config() const { return config_; }

  // Checks the inputs' sizes and pointers against the config.
  Status ValidateInputs(const FluxInputs& in) const;

  // out (batch, img_tokens, out_channels): the velocity prediction.
  // REQUIRES: ValidateInputs(in).ok()
  void Forward(ThreadPool& pool, const FluxInputs& in, float* out, FluxWorkspace& ws,
               const FluxTraceFn& trace = nullptr) const;

  // Multiply-adds × 2 of the linear layers and attention of one forward.
  double ForwardFlops(int64_t batch, int64_t img_tokens, int64_t txt_tokens) const;

 private:
  explicit FluxTransformer(const FluxConfig& config) : config_(config) {}

  FluxConfig config_;
  LinearLayer img_in_;
  LinearLayer txt_in_;
  MlpEmbedder time_in_;
  MlpEmbedder vector_in_;
  MlpEmbedder guidance_in_;  // only with guidance_embed
  std::vector<DoubleStreamBlock> double_blocks_;
  std::vector<SingleStreamBlock> single_blocks_;
  LinearLayer final_modulation_;  // final_layer.adaLN_modulation.1: (2·hidden, hidden): shift, scale
  LinearLayer final_linear_;      // final_layer.linear: (out_channels, hidden)
};

}  // namespace kiln
