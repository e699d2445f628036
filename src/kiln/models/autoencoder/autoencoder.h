// Autoencoder: the FLUX.1 AutoencoderKL (flux.modules.autoencoder.AutoEncoder),
// f32 on CPU, checked against the official code in
// tests/golden/autoencoder_golden_test.cc.
//
//   encode(x)  = scale_factor * (mean - shift_factor)           (sample_z=False, as shipped)
//   sampled(x) = scale_factor * (mean + exp(logvar/2) * eps - shift_factor)
//   decode(z)  = decoder(z / scale_factor + shift_factor)        (not clamped)
// where (mean, logvar) = chunk(encoder(x), 2, dim=1).
//
// Images are NCHW in [-1, 1]; latents are (B, z_channels, H/f, W/f) with
// f = config.downsample_factor(). Any batch size and any H, W work (odd
// sizes follow the official Downsample's rounding).
//
// Load returns an immutable model: the const methods may be called from
// several threads at once, each with the pool its kernels should run on (as
// FluxTransformer::Forward). Weights are views of the mapped file where
// possible; the file object itself need not outlive the model.
#pragma once

#include <memory>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/models/autoencoder/activation.h"
#include "kiln/models/autoencoder/autoencoder_config.h"
#include "kiln/models/autoencoder/decoder.h"
#include "kiln/models/autoencoder/encoder.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

class Autoencoder {
 public:
  // Finds every weight by its official name ("encoder.conv_in.weight", ...,
  // "decoder.up.0.block.0.conv1.weight", ...) in file; f16/bf16 are widened
  // to f32 once. An invalid config, or a missing or mis-shaped weight, is an
  // error naming it. Other tensors in the file are ignored.
  static StatusOr<std::unique_ptr<Autoencoder>> Load(const SafetensorsFile& file,
                                                     const AutoencoderConfig& config);

  const AutoencoderConfig& config() const { return config_; }

  // Every method below REQUIRES f32 inputs of the documented shapes (a wrong
  // shape aborts with a message), and returns a new tensor. hook, when set,
  // sees each module's output by its official path (debugging and parity).

  //   returns (B, 2*z_channels, H/f, W/f): mean then logvar
  //   image   (B, in_channels, H, W)
  Tensor EncodeMoments(ThreadPool& pool, const Tensor& image, const ActivationHook& hook = {}) const;
  //   returns (B, z_channels, H/f, W/f): scale * (mean - shift)
  Tensor Encode(ThreadPool& pool, const Tensor& image, const ActivationHook& hook = {}) const;
  //   returns (B, z_channels, H/f, W/f): scale * (mean + exp(0.5*logvar)*noise - shift)
  //   noise   (B, z_channels, H/f, W/f), standard normal
  Tensor EncodeSampled(ThreadPool& pool, const Tensor& image, const Tensor& noise,
                       const ActivationHook& hook = {}) const;
  //   returns (B, out_ch, h*f, w*f), not clamped
  //   latent  (B, z_channels, h, w)
  Tensor Decode(ThreadPool& pool, const Tensor& latent, const ActivationHook& hook = {}) const;
  // AutoEncoder.forward: Decode(Encode(image)).
  Tensor Forward(ThreadPool& pool, const Tensor& image) const { return Decode(pool, Encode(pool, image)); }

 private:
  Autoencoder(AutoencoderConfig config, Encoder encoder, Decoder decoder)
      : config_(std::move(config)), encoder_(std::move(encoder)), decoder_(std::move(decoder)) {}

  // latent (B, z, h, w) from moments (B, 2z, h, w); noise null for the mode.
  Tensor LatentFromMoments(const Tensor& moments, const Tensor* noise) const;

  const AutoencoderConfig config_;
  const Encoder encoder_;
  const Decoder decoder_;
};

}  // namespace kiln
