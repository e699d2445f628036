// FluxPipeline: text conditioning → image, the FLUX.1 text-to-image path
// (flux/cli.py): seeded noise → 2×2 packing → Euler denoising on the shifted
// schedule → unpacking → AutoencoderKL decode.
//
// The conditioning arrives as tensors (T5 hidden states and the pooled
// vector); the text encoders sit in front of this in a later layer of work.
// Not thread-safe: one pipeline per worker thread (it keeps its sampler's buffers).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/autoencoder/autoencoder.h"
#include "kiln/models/flux/flux_transformer.h"
#include "kiln/pipeline/flow_sampler.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct GenerateOptions {
  int64_t width = 1024;   // pixels; a multiple of 2 × the autoencoder's downsampling
  int64_t height = 1024;
  int steps = 0;          // 0: the model's default (4 without guidance embedding, else 50)
  float guidance = 3.5f;  // for [dev]-type models
  // Classifier-free guidance against the empty prompt; 1: off. Only models
  // trained with dropped captions (kiln-shapes) are meant for it.
  float cfg_scale = 1.0f;
  // The resolution-dependent schedule shift; unset: on for [dev]-type models
  // (with a guidance embedding), off otherwise, as flux/cli.py does.
  std::optional<bool> shift;
};

// Wall time of each stage of one Generate call, for the server's metrics.
// The empty prompt's conditioning, the same shapes as the prompt's txt and y;
// needed when options.cfg_scale != 1.
struct UnconditionalText {
  Tensor txt;
  Tensor y;
};

struct GenerateTimings {
  double text_encode_s = 0;  // tokenizer + text encoder (TextToImageModel only)
  double denoise_s = 0;      // noise, packing and every sampling step
  double decode_s = 0;       // unpacking + autoencoder decode
};

class FluxPipeline {
 public:
  // REQUIRES: transformer and autoencoder outlive the pipeline.
  FluxPipeline(const FluxTransformer& transformer, const Autoencoder& autoencoder);

  // Errors name the offending field (width, height, steps, guidance,
  // cfg_scale, txt, y, seeds, uncond).
  Status Validate(const Tensor& txt, const Tensor& y, const std::vector<uint64_t>& seeds,
                  const GenerateOptions& options, const UnconditionalText* uncond = nullptr) const;

  // txt (batch, txt_tokens, context_in_dim); y (batch, vec_in_dim); one seed
  // per image; uncond is required when options.cfg_scale != 1. Returns
  // (batch, 3, height, width), the decoder's raw output (about [-1, 1], not clamped).
  StatusOr<Tensor> Generate(ThreadPool& pool, const Tensor& txt, const Tensor& y, const std::vector<uint64_t>& seeds,
                            const GenerateOptions& options, const FlowStepFn& on_step = nullptr,
                            GenerateTimings* timings = nullptr, const UnconditionalText* uncond = nullptr);

  // The step count used when options.steps is 0.
  int DefaultSteps() const;

 private:
  const FluxTransformer& transformer_;
  const Autoencoder& autoencoder_;
  FlowSampler sampler_;
};

}  // namespace kiln
