#include "kiln/tensor/tensor.h"

#include <cstdlib>
#include <cstring>
#include <sstream>

namespace kiln {
namespace {
constexpr size_t kAlignment = 64;  // one cache line; enough for any SIMD load

std::shared_ptr<void> AllocateAligned(size_t bytes) {
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (p == nullptr) throw std::bad_alloc();
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}
}  // namespace

int64_t ShapeNumel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

Tensor Tensor::Empty(DType dtype, Shape shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  auto storage = AllocateAligned(t.nbytes());
  t.data_ = storage.get();
  t.storage_ = std::move(storage);
  return t;
}

Tensor Tensor::Zeros(DType dtype, Shape shape) {
  Tensor t = Empty(dtype, std::move(shape));
  std::memset(t.data_, 0, t.nbytes());
  return t;
}

Tensor Tensor::FromVector(Shape shape, const std::vector<float>& values) {
  Tensor t = Empty(DType::kF32, std::move(shape));
  std::memcpy(t.data_, values.data(), t.nbytes());
  return t;
}

Tensor Tensor::View(DType dtype, Shape shape, const void* data,
                    std::shared_ptr<const void> keepalive) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = const_cast<void*>(data);
  t.storage_ = std::move(keepalive);
  return t;
}

Tensor Tensor::Reshape(Shape shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::ToF32() const {
  if (empty()) return Tensor();
  Tensor t = Empty(DType::kF32, shape_);
  ConvertToF32(t.f32(), data_, dtype_, static_cast<size_t>(numel()));
  return t;
}

Tensor Tensor::Clone() const {
  if (empty()) return Tensor();
  Tensor t = Empty(dtype_, shape_);
  std::memcpy(t.data_, data_, nbytes());
  return t;
}

}  // namespace kiln
