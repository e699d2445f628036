#include "kiln/models/autoencoder/resnet_block.h"

#include "kiln/kernels/cpu/elementwise.h"
#include "kiln/models/autoencoder/activation.h"

namespace kiln {

StatusOr<ResnetBlock> ResnetBlock::Load(const WeightLoader& weights, const std::string& name,
                                        int64_t in_channels, int64_t out_channels) {
  ResnetBlock block;
  KILN_ASSIGN_OR_RETURN(block.norm1, GroupNormLayer::Load(weights, name + ".norm1", in_channels));
  KILN_ASSIGN_OR_RETURN(block.conv1,
                        Conv2dLayer::Load(weights, name + ".conv1", in_channels, out_channels, 3));
  KILN_ASSIGN_OR_RETURN(block.norm2, GroupNormLayer::Load(weights, name + ".norm2", out_channels));
  KILN_ASSIGN_OR_RETURN(block.conv2,
                        Conv2dLayer::Load(weights, name + ".conv2", out_channels, out_channels, 3));
  if (in_channels != out_channels) {
    KILN_ASSIGN_OR_RETURN(block.nin_shortcut, Conv2dLayer::Load(weights, name + ".nin_shortcut",
                                                                in_channels, out_channels, 1));
  }
  return block;
}

Tensor ResnetBlock::Forward(ThreadPool& pool, const Tensor& x) const {
  RequireActivation(x, in_channels(), "ResnetBlock input");
  const int64_t batch = x.dim(0), height = x.dim(2), width = x.dim(3);

  // a (B, in_channels, H, W): swish(norm1(x)); x itself is left untouched,
  // the caller may still hold it.
  Tensor a = NewActivation(batch, in_channels(), height, width);
  norm1.Forward(pool, x, a, /*swish=*/true);
  // h (B, out_channels, H, W): swish(norm2(conv1(a))), normalised in place
  Tensor h = conv1.Forward(pool, a);
  norm2.Forward(pool, h, h, /*swish=*/true);

  // out (B, out_channels, H, W): conv2(h); a is dead by now, so it holds
  // the result when the shapes agree (saves one activation-sized buffer).
  Tensor out = nin_shortcut ? NewActivation(batch, out_channels(), height, width) : a;
  conv2.Forward(pool, h, out);
  if (nin_shortcut) {
    // h is dead too: it takes the projected shortcut (B, out_channels, H, W).
    nin_shortcut->Forward(pool, x, h);
    cpu::Add(pool, out.f32(), h.f32(), out.f32(), out.numel());
  } else {
    cpu::Add(pool, out.f32(), x.f32(), out.f32(), out.numel());
  }
  return out;
}

}  // namespace kiln
