// WeightLoader: finds a model's weights by their official checkpoint names
// and checks their shapes, so a wrong or missing tensor is an error that
// names it ("double_blocks.3.img_attn.qkv.weight: expected [384, 128], file has
// [384, 64]") rather than a crash deep in a kernel.
//
// Weights come back as f32 tensors: zero-copy views of the mapped file when
// stored as aligned F32, widened copies of f16/bf16 otherwise.
#pragma once

#include <string>

#include "kiln/base/status.h"
#include "kiln/checkpoint/safetensors.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

class WeightLoader {
 public:
  // prefix is prepended to every name ("" or e.g. "model.diffusion_model.").
  // REQUIRES: file outlives the loader (tensors it returns do not need it).
  explicit WeightLoader(const SafetensorsFile& file, std::string prefix = "")
      : file_(file), prefix_(std::move(prefix)) {}

  bool Has(const std::string& name) const { return file_.Contains(prefix_ + name); }
  // The tensor with exactly this shape, as f32.
  StatusOr<Tensor> Get(const std::string& name, const Shape& expected) const;
  // The tensor whatever its shape, as f32.
  StatusOr<Tensor> GetAnyShape(const std::string& name) const;
  // The stored shape, or NotFound.
  StatusOr<Shape> ShapeOf(const std::string& name) const;

 private:
  const SafetensorsFile& file_;
  std::string prefix_;
};

}  // namespace kiln
