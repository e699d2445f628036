#include "kiln/models/autoencoder/conv2d_layer.h"

#include <cstdlib>

#include "kiln/base/logging.h"
#include "kiln/models/autoencoder/activation.h"

namespace kiln {

StatusOr<Conv2dLayer> Conv2dLayer::Load(const WeightLoader& weights, const std::string& name,
                                        int64_t in_channels, int64_t out_channels,
                                        int64_t kernel) {
  Conv2dLayer layer;
  KILN_ASSIGN_OR_RETURN(layer.weight,
                        weights.Get(name + ".weight", {out_channels, in_channels, kernel, kernel}));
  KILN_ASSIGN_OR_RETURN(layer.bias, weights.Get(name + ".bias", {out_channels}));
  layer.in_channels = in_channels;
  layer.out_channels = out_channels;
  layer.kernel = kernel;
  layer.pad_top = layer.pad_bottom = layer.pad_left = layer.pad_right = kernel / 2;
  return layer;
}

cpu::Conv2dParams Conv2dLayer::Geometry(const Tensor& x) const {
  cpu::Conv2dParams params;
  params.batch = x.dim(0);
  params.in_channels = in_channels;
  params.in_height = x.dim(2);
  params.in_width = x.dim(3);
  params.out_channels = out_channels;
  params.kernel = kernel;
  params.stride = stride;
  params.pad_top = pad_top;
  params.pad_bottom = pad_bottom;
  params.pad_left = pad_left;
  params.pad_right = pad_right;
  return params;
}

Tensor Conv2dLayer::Forward(ThreadPool& pool, const Tensor& x) const {
  RequireActivation(x, in_channels, "Conv2dLayer input");
  const cpu::Conv2dParams params = Geometry(x);
  Tensor out = NewActivation(params.batch, out_channels, params.out_height(), params.out_width());
  Forward(pool, x, out);
  return out;
}

void Conv2dLayer::Forward(ThreadPool& pool, const Tensor& x, Tensor& out) const {
  RequireActivation(x, in_channels, "Conv2dLayer input");
  const cpu::Conv2dParams params = Geometry(x);
  if (params.in_height + pad_top + pad_bottom < kernel ||
      params.in_width + pad_left + pad_right < kernel) {
    // torch refuses a kernel larger than the padded input too.
    KILN_LOG(kError) << "Conv2dLayer: " << kernel << "x" << kernel << " kernel larger than the padded input "
                     << ShapeToString(x.shape());
    std::abort();
  }
  const Shape expected{params.batch, out_channels, params.out_height(), params.out_width()};
  if (out.shape() != expected || out.dtype() != DType::kF32 || out.data() == x.data()) {
    KILN_LOG(kError) << "Conv2dLayer: output must be a separate f32 " << ShapeToString(expected)
                     << " tensor, got " << ShapeToString(out.shape());
    std::abort();
  }
  cpu::Conv2d(pool, out.f32(), x.f32(), weight.f32(), bias.f32(), params);
}

}  // namespace kiln
