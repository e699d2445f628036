#include "kiln/models/autoencoder/autoencoder.h"

#include <cmath>
#include <cstdlib>

#include "kiln/base/logging.h"
#include "kiln/models/weight_loader.h"

namespace kiln {

StatusOr<std::unique_ptr<Autoencoder>> Autoencoder::Load(const SafetensorsFile& file,
                                                         const AutoencoderConfig& config) {
  KILN_RETURN_IF_ERROR(config.Validate());
  const WeightLoader weights(file);
  KILN_ASSIGN_OR_RETURN(Encoder encoder, Encoder::Load(weights, config));
  KILN_ASSIGN_OR_RETURN(Decoder decoder, Decoder::Load(weights, config));
  return std::unique_ptr<Autoencoder>(
      new Autoencoder(config, std::move(encoder), std::move(decoder)));
}

Tensor Autoencoder::EncodeMoments(ThreadPool& pool, const Tensor& image, const ActivationHook& hook) const {
  RequireActivation(image, config_.in_channels, "Autoencoder image");
  return encoder_.Forward(pool, image, hook);
}

Tensor Autoencoder::Encode(ThreadPool& pool, const Tensor& image, const ActivationHook& hook) const {
  return LatentFromMoments(EncodeMoments(pool, image, hook), nullptr);
}

Tensor Autoencoder::EncodeSampled(ThreadPool& pool, const Tensor& image, const Tensor& noise,
                                  const ActivationHook& hook) const {
  return LatentFromMoments(EncodeMoments(pool, image, hook), &noise);
}

Tensor Autoencoder::LatentFromMoments(const Tensor& moments, const Tensor* noise) const {
  const int64_t batch = moments.dim(0), z = config_.z_channels;
  const int64_t plane = z * moments.dim(2) * moments.dim(3);  // one item's mean (or logvar)
  Tensor latent = NewActivation(batch, z, moments.dim(2), moments.dim(3));
  if (noise != nullptr && (noise->shape() != latent.shape() || noise->dtype() != DType::kF32)) {
    KILN_LOG(kError) << "Autoencoder::EncodeSampled: noise must be f32 " << ShapeToString(latent.shape())
                     << ", got " << ShapeToString(noise->shape());
    std::abort();
  }
  // The same f32 operations in the same order as the official
  // DiagonalGaussian + scale/shift (python floats become f32 in torch).
  const float scale = config_.scale_factor, shift = config_.shift_factor;
  for (int64_t b = 0; b < batch; ++b) {
    const float* mean = moments.f32() + b * 2 * plane;  // first z channels
    const float* logvar = mean + plane;                 // last z channels
    float* out = latent.f32() + b * plane;
    if (noise == nullptr) {
      for (int64_t i = 0; i < plane; ++i) out[i] = scale * (mean[i] - shift);
    } else {
      const float* eps = noise->f32() + b * plane;
      for (int64_t i = 0; i < plane; ++i) {
        const float std_dev = std::exp(0.5f * logvar[i]);
        const float sample = mean[i] + std_dev * eps[i];
        out[i] = scale * (sample - shift);
      }
    }
  }
  return latent;
}

Tensor Autoencoder::Decode(ThreadPool& pool, const Tensor& latent, const ActivationHook& hook) const {
  RequireActivation(latent, config_.z_channels, "Autoencoder latent");
  // unscaled (B, z, h, w) = latent / scale + shift, what the decoder was trained on
  Tensor unscaled = Tensor::Empty(DType::kF32, latent.shape());
  const float scale = config_.scale_factor, shift = config_.shift_factor;
  const float* in = latent.f32();
  float* out = unscaled.f32();
  for (int64_t i = 0; i < latent.numel(); ++i) out[i] = in[i] / scale + shift;
  return decoder_.Forward(pool, unscaled, hook);
}

}  // namespace kiln
