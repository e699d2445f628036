#include "kiln/pipeline/flux_pipeline.h"

#include <chrono>

#include "kiln/pipeline/flow_schedule.h"
#include "kiln/pipeline/latent_packing.h"
#include "kiln/pipeline/noise.h"

namespace kiln {
namespace {

Tensor AsF32(const Tensor& t) { return t.dtype() == DType::kF32 ? t : t.ToF32(); }

}  // namespace

FluxPipeline::FluxPipeline(const FluxTransformer& transformer, const Autoencoder& autoencoder)
    : transformer_(transformer), autoencoder_(autoencoder), sampler_(transformer) {}

int FluxPipeline::DefaultSteps() const { return transformer_.config().guidance_embed ? 50 : 4; }

Status FluxPipeline::Validate(const Tensor& txt, const Tensor& y, const std::vector<uint64_t>& seeds,
                              const GenerateOptions& o, const UnconditionalText* uncond) const {
  const FluxConfig& fc = transformer_.config();
  const AutoencoderConfig& ac = autoencoder_.config();
  const int64_t multiple = 2 * ac.downsample_factor();
  if (fc.in_channels != ac.z_channels * 4) {
    return Status::InvalidArgument("the transformer takes " + std::to_string(fc.in_channels) +
                                   " packed channels but the autoencoder has " + std::to_string(ac.z_channels) +
                                   " latent channels (×4 = " + std::to_string(ac.z_channels * 4) + ")");
  }
  if (o.width < multiple || o.width % multiple != 0 || o.width > 8192) {
    return Status::InvalidArgument("width: " + std::to_string(o.width) + " must be a multiple of " +
                                   std::to_string(multiple) + " in [" + std::to_string(multiple) + ", 8192]");
  }
  if (o.height < multiple || o.height % multiple != 0 || o.height > 8192) {
    return Status::InvalidArgument("height: " + std::to_string(o.height) + " must be a multiple of " +
                                   std::to_string(multiple) + " in [" + std::to_string(multiple) + ", 8192]");
  }
  if (o.steps < 0 || o.steps > 1000) return Status::InvalidArgument("steps: must be in [1, 1000] (0: default)");
  if (!(o.guidance >= 0.0f && o.guidance <= 100.0f)) return Status::InvalidArgument("guidance: must be in [0, 100]");
  if (!(o.cfg_scale >= 0.0f && o.cfg_scale <= 30.0f)) return Status::InvalidArgument("cfg_scale: must be in [0, 30]");
  if (o.cfg_scale != 1.0f) {
    if (uncond == nullptr) return Status::InvalidArgument("cfg_scale: guidance needs the empty prompt's conditioning");
    if (uncond->txt.shape() != txt.shape() || uncond->y.shape() != y.shape()) {
      return Status::InvalidArgument("uncond: txt and y must have the prompt's shapes " + ShapeToString(txt.shape()) +
                                     " and " + ShapeToString(y.shape()));
    }
  }
  if (txt.rank() != 3 || txt.dim(2) != fc.context_in_dim) {
    return Status::InvalidArgument("txt: expected (batch, tokens, " + std::to_string(fc.context_in_dim) +
                                   "), got " + ShapeToString(txt.shape()));
  }
  if (y.rank() != 2 || y.dim(1) != fc.vec_in_dim || y.dim(0) != txt.dim(0)) {
    return Status::InvalidArgument("y: expected (" + std::to_string(txt.dim(0)) + ", " +
                                   std::to_string(fc.vec_in_dim) + "), got " + ShapeToString(y.shape()));
  }
  if (static_cast<int64_t>(seeds.size()) != txt.dim(0)) {
    return Status::InvalidArgument("seeds: one per image is needed (" + std::to_string(txt.dim(0)) + ")");
  }
  return Status::Ok();
}

StatusOr<Tensor> FluxPipeline::Generate(ThreadPool& pool, const Tensor& txt, const Tensor& y,
                                        const std::vector<uint64_t>& seeds, const GenerateOptions& o,
                                        const FlowStepFn& on_step, GenerateTimings* timings,
                                        const UnconditionalText* uncond) {
  KILN_RETURN_IF_ERROR(Validate(txt, y, seeds, o, uncond));
  const auto start = std::chrono::steady_clock::now();
  const FluxConfig& fc = transformer_.config();
  const int64_t b = txt.dim(0), channels = autoencoder_.config().z_channels;
  const int64_t factor = autoencoder_.config().downsample_factor();
  const int64_t h = o.height / factor, w = o.width / factor;
  const int64_t tokens = (h / 2) * (w / 2);

  // Noise per image from its own seed, so batching never changes an image.
  Tensor noise = Tensor::Empty(DType::kF32, {b, channels, h, w});
  const int64_t per_image = channels * h * w;
  for (int64_t i = 0; i < b; ++i) GaussianNoise(noise.f32() + i * per_image, per_image, seeds[i]);
  Tensor x = Tensor::Empty(DType::kF32, {b, tokens, fc.in_channels});
  PackLatents(x.f32(), noise.f32(), b, channels, h, w);

  Tensor img_ids = Tensor::Empty(DType::kF32, {b, tokens, 3});
  MakeImageIds(img_ids.f32(), b, h, w);
  Tensor txt_ids = Tensor::Zeros(DType::kF32, {b, txt.dim(1), 3});
  const Tensor txt32 = AsF32(txt);
  const Tensor y32 = AsF32(y);
  FluxInputs cond;
  cond.batch = b;
  cond.img_tokens = tokens;
  cond.txt_tokens = txt.dim(1);
  cond.img_ids = img_ids.f32();
  cond.txt = txt32.f32();
  cond.txt_ids = txt_ids.f32();
  cond.y = y32.f32();

  FlowScheduleOptions schedule_options;
  schedule_options.shift = o.shift.value_or(fc.guidance_embed);  // flux/cli.py: shift for all but schnell
  const int steps = o.steps > 0 ? o.steps : DefaultSteps();
  const std::vector<float> schedule = FlowSchedule(steps, tokens, schedule_options);
  const bool guided = o.cfg_scale != 1.0f;
  Tensor txt_u32, y_u32;
  FluxInputs uncond_inputs = cond;
  if (guided) {
    txt_u32 = AsF32(uncond->txt);
    y_u32 = AsF32(uncond->y);
    uncond_inputs.txt = txt_u32.f32();
    uncond_inputs.y = y_u32.f32();
  }
  KILN_RETURN_IF_ERROR(sampler_.Denoise(pool, cond, x.f32(), schedule, o.guidance, on_step,
                                        guided ? &uncond_inputs : nullptr, o.cfg_scale));

  const auto denoised = std::chrono::steady_clock::now();
  UnpackLatents(noise.f32(), x.f32(), b, channels, h, w);  // noise's buffer now holds the latent
  StatusOr<Tensor> image = autoencoder_.Decode(pool, noise);
  if (timings != nullptr) {
    timings->denoise_s = std::chrono::duration<double>(denoised - start).count();
    timings->decode_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - denoised).count();
  }
  return image;
}

}  // namespace kiln
