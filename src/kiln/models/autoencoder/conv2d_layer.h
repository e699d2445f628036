// Conv2dLayer: the weights of one torch.nn.Conv2d (groups 1, with bias) and
// its geometry, run by cpu::Conv2d.
#pragma once

#include <cstdint>
#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/kernels/cpu/conv2d.h"
#include "kiln/models/weight_loader.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct Conv2dLayer {
  Tensor weight;  // (out_channels, in_channels, kernel, kernel)
  Tensor bias;    // (out_channels)
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t kernel = 1;
  int64_t stride = 1;
  // Zero padding per side. Load sets kernel/2 on every side ("same" for odd
  // kernels, torch's padding=1 for 3x3, 0 for 1x1); Downsample overrides.
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;

  // Loads "<name>.weight" and "<name>.bias", checking their shapes.
  static StatusOr<Conv2dLayer> Load(const WeightLoader& weights, const std::string& name,
                                    int64_t in_channels, int64_t out_channels, int64_t kernel);

  // The kernel's parameters for input x (B, in_channels, H, W).
  cpu::Conv2dParams Geometry(const Tensor& x) const;

  //   out (B, out_channels, out_height, out_width), a new tensor
  //   x   (B, in_channels, H, W)
  Tensor Forward(ThreadPool& pool, const Tensor& x) const;
  // Same into out. REQUIRES: out has the output shape and does not alias x.
  void Forward(ThreadPool& pool, const Tensor& x, Tensor& out) const;
};

}  // namespace kiln
