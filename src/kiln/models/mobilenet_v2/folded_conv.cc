#include "kiln/models/mobilenet_v2/folded_conv.h"

#include <cmath>

namespace kiln {
namespace {

// Per-channel scale s = γ/√(σ² + ε) and shift β − μ·s of a BatchNormalization layer.
struct BnAffine {
  std::vector<double> scale, shift;
};

StatusOr<BnAffine> LoadBn(const WeightLoader& weights, const std::string& bn, int64_t channels, double epsilon) {
  KILN_ASSIGN_OR_RETURN(Tensor gamma, weights.Get(bn + "/gamma", {channels}));
  KILN_ASSIGN_OR_RETURN(Tensor beta, weights.Get(bn + "/beta", {channels}));
  KILN_ASSIGN_OR_RETURN(Tensor mean, weights.Get(bn + "/moving_mean", {channels}));
  KILN_ASSIGN_OR_RETURN(Tensor variance, weights.Get(bn + "/moving_variance", {channels}));
  BnAffine bn_affine;
  bn_affine.scale.resize(channels);
  bn_affine.shift.resize(channels);
  for (int64_t c = 0; c < channels; ++c) {
    const double v = static_cast<double>(variance.f32()[c]) + epsilon;
    if (!(v > 0)) return Status::InvalidArgument(bn + "/moving_variance: variance + epsilon is not positive");
    const double s = static_cast<double>(gamma.f32()[c]) / std::sqrt(v);
    bn_affine.scale[c] = s;
    bn_affine.shift[c] = static_cast<double>(beta.f32()[c]) - static_cast<double>(mean.f32()[c]) * s;
  }
  return bn_affine;
}

}  // namespace

StatusOr<FoldedConv> LoadConvBn(const WeightLoader& weights, const std::string& conv, const std::string& bn,
                                int64_t kernel, int64_t in_channels, int64_t out_channels, double epsilon) {
  KILN_ASSIGN_OR_RETURN(Tensor w, weights.Get(conv + "/kernel", {kernel, kernel, in_channels, out_channels}));
  KILN_ASSIGN_OR_RETURN(BnAffine affine, LoadBn(weights, bn, out_channels, epsilon));
  FoldedConv f;
  f.in_features = kernel * kernel * in_channels;
  f.out_features = out_channels;
  f.weight.resize(f.in_features * out_channels);
  f.bias.resize(out_channels);
  // Keras [kh, kw, in, out] is (in_patch, out) row-major; transpose while scaling.
  for (int64_t p = 0; p < f.in_features; ++p) {
    for (int64_t o = 0; o < out_channels; ++o) {
      f.weight[o * f.in_features + p] = static_cast<float>(w.f32()[p * out_channels + o] * affine.scale[o]);
    }
  }
  for (int64_t o = 0; o < out_channels; ++o) f.bias[o] = static_cast<float>(affine.shift[o]);
  return f;
}

StatusOr<FoldedDepthwise> LoadDepthwiseBn(const WeightLoader& weights, const std::string& conv,
                                          const std::string& bn, int64_t channels, double epsilon) {
  KILN_ASSIGN_OR_RETURN(Tensor w, weights.Get(conv + "/depthwise_kernel", {3, 3, channels, 1}));
  KILN_ASSIGN_OR_RETURN(BnAffine affine, LoadBn(weights, bn, channels, epsilon));
  FoldedDepthwise f;
  f.channels = channels;
  f.weight.resize(9 * channels);
  f.bias.resize(channels);
  // [3, 3, channels, 1] is already (9, channels) row-major.
  for (int64_t t = 0; t < 9; ++t) {
    for (int64_t c = 0; c < channels; ++c) {
      f.weight[t * channels + c] = static_cast<float>(w.f32()[t * channels + c] * affine.scale[c]);
    }
  }
  for (int64_t c = 0; c < channels; ++c) f.bias[c] = static_cast<float>(affine.shift[c]);
  return f;
}

StatusOr<FoldedConv> LoadDense(const WeightLoader& weights, const std::string& name, int64_t in_features,
                               int64_t out_features) {
  KILN_ASSIGN_OR_RETURN(Tensor w, weights.Get(name + "/kernel", {in_features, out_features}));
  KILN_ASSIGN_OR_RETURN(Tensor b, weights.Get(name + "/bias", {out_features}));
  FoldedConv f;
  f.in_features = in_features;
  f.out_features = out_features;
  f.weight.resize(in_features * out_features);
  for (int64_t i = 0; i < in_features; ++i) {
    for (int64_t o = 0; o < out_features; ++o) f.weight[o * in_features + i] = w.f32()[i * out_features + o];
  }
  f.bias.assign(b.f32(), b.f32() + out_features);
  return f;
}

}  // namespace kiln
