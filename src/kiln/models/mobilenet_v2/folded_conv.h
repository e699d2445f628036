// Convolutions with their inference-mode BatchNormalization folded in, and
// the Dense layers, converted once at load time from the Keras layouts into
// the layouts the NHWC kernels take.
//
// Folding: BN(conv(x)) = β + (conv(x) − μ)·γ/√(σ² + ε) = conv_{w·s}(x) + (β − μ·s)
// with s = γ/√(σ² + ε) per output channel, computed in double and rounded
// once, so the folded model differs from tfjs's separate ops by float
// rounding only (checked against the goldens at 1e-4).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/models/weight_loader.h"

namespace kiln {

// weight (out, in_patch), bias (out): what cpu::Linear takes. For a k×k conv
// in_patch = k·k·in in (kh, kw, in) order, the NHWC im2col order.
struct FoldedConv {
  int64_t in_features = 0;
  int64_t out_features = 0;
  std::vector<float> weight;
  std::vector<float> bias;
};

// weight (3·3, channels): one row of per-channel taps per kernel position, the
// layout cpu::DepthwiseConv2d3x3 takes; bias (channels).
struct FoldedDepthwise {
  int64_t channels = 0;
  std::vector<float> weight;
  std::vector<float> bias;
};

// Conv2D `conv` (Keras kernel [k, k, in, out], no bias) + BatchNormalization `bn`.
StatusOr<FoldedConv> LoadConvBn(const WeightLoader& weights, const std::string& conv, const std::string& bn,
                                int64_t kernel, int64_t in_channels, int64_t out_channels, double epsilon);

// DepthwiseConv2D `conv` (Keras kernel [3, 3, channels, 1], no bias) + BatchNormalization `bn`.
StatusOr<FoldedDepthwise> LoadDepthwiseBn(const WeightLoader& weights, const std::string& conv,
                                          const std::string& bn, int64_t channels, double epsilon);

// Dense `name` (Keras kernel [in, out] + bias [out]), transposed to (out, in).
StatusOr<FoldedConv> LoadDense(const WeightLoader& weights, const std::string& name, int64_t in_features,
                               int64_t out_features);

}  // namespace kiln
