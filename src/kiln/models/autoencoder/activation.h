// Shared vocabulary of the AutoencoderKL modules: activations are f32 NCHW
// tensors, and a hook can watch each module's output by its official path.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "kiln/tensor/tensor.h"

namespace kiln {

// Called with a module path ("decoder.up.1.block.0") and that module's output
// (B, C, H, W), the names the official state_dict and golden intermediates
// use. The tensor is only valid during the call; copy it to keep it.
using ActivationHook = std::function<void(const std::string& path, const Tensor& output)>;

// Uninitialised (batch, channels, height, width) f32 activation.
inline Tensor NewActivation(int64_t batch, int64_t channels, int64_t height, int64_t width) {
  return Tensor::Empty(DType::kF32, {batch, channels, height, width});
}

// Aborts with a message naming `where` unless x is a 4-d f32 tensor with
// `channels` channels: a wrong shape here is a caller bug, and running on
// would read out of bounds.
void RequireActivation(const Tensor& x, int64_t channels, const char* where);

}  // namespace kiln
