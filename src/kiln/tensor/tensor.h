// Tensor: a dense, row-major (C-contiguous) n-d array with a dtype.
//
// Storage is shared: copies of a Tensor alias the same bytes (like
// torch.Tensor). A Tensor either owns a 64-byte-aligned buffer or views
// memory kept alive by someone else (a memory-mapped checkpoint); views of
// mapped files are read-only and must not be written through.
// A Tensor is not thread-safe for concurrent writes to its elements.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiln/tensor/dtype.h"

namespace kiln {

using Shape = std::vector<int64_t>;

int64_t ShapeNumel(const Shape& shape);
// "[2, 64, 64]"
std::string ShapeToString(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;  // empty: rank 0, no storage

  // Uninitialised / zero-filled owned storage.
  static Tensor Empty(DType dtype, Shape shape);
  static Tensor Zeros(DType dtype, Shape shape);
  // f32 tensor holding a copy of values. REQUIRES: values.size() == numel(shape)
  static Tensor FromVector(Shape shape, const std::vector<float>& values);
  // A view of data that keepalive keeps valid.
  static Tensor View(DType dtype, Shape shape, const void* data,
                     std::shared_ptr<const void> keepalive);

  bool empty() const { return data_ == nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  // Negative i counts from the end.
  int64_t dim(int i) const { return shape_[i < 0 ? i + rank() : i]; }
  int64_t numel() const { return ShapeNumel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * DTypeSize(dtype_); }

  void* data() { return data_; }
  const void* data() const { return data_; }
  // REQUIRES: dtype() == kF32
  float* f32() { return static_cast<float*>(data_); }
  const float* f32() const { return static_cast<const float*>(data_); }

  // Same storage, new shape. REQUIRES: same numel.
  Tensor Reshape(Shape shape) const;
  // An owned f32 copy (converted as ConvertToF32 does). Empty stays empty.
  Tensor ToF32() const;
  // An owned copy of the same dtype. Empty stays empty.
  Tensor Clone() const;

 private:
  DType dtype_ = DType::kF32;
  Shape shape_;
  void* data_ = nullptr;
  std::shared_ptr<const void> storage_;
};

}  // namespace kiln
