#include "kiln/tensor/tensor.h"

#include <gtest/gtest.h>

#include <cstring>

namespace kiln {
namespace {

TEST(ShapeTest, NumelAndToString) {
  EXPECT_EQ(ShapeNumel({}), 1);
  EXPECT_EQ(ShapeNumel({2, 3, 4}), 24);
  EXPECT_EQ(ShapeNumel({5, 0, 2}), 0);
  EXPECT_EQ(ShapeToString({}), "[]");
  EXPECT_EQ(ShapeToString({2, 64, 64}), "[2, 64, 64]");
}

TEST(TensorTest, DefaultIsEmpty) {
  const Tensor t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.rank(), 0);
  EXPECT_TRUE(t.ToF32().empty());
  EXPECT_TRUE(t.Clone().empty());
}

TEST(TensorTest, EmptyIsAlignedAndSized) {
  for (DType dtype : {DType::kF32, DType::kF16, DType::kU8, DType::kF64}) {
    const Tensor t = Tensor::Empty(dtype, {3, 5});
    EXPECT_FALSE(t.empty());
    EXPECT_EQ(t.dtype(), dtype);
    EXPECT_EQ(t.numel(), 15);
    EXPECT_EQ(t.nbytes(), 15 * DTypeSize(dtype));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  }
  const Tensor none = Tensor::Empty(DType::kF32, {0, 4});
  EXPECT_FALSE(none.empty());  // storage exists even with no elements
  EXPECT_EQ(none.nbytes(), 0u);
}

TEST(TensorTest, ZerosAndFromVector) {
  const Tensor z = Tensor::Zeros(DType::kF32, {4, 4});
  for (int64_t i = 0; i < z.numel(); ++i) EXPECT_EQ(z.f32()[i], 0.0f);
  const Tensor v = Tensor::FromVector({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(v.shape(), (Shape{2, 2}));
  EXPECT_EQ(v.f32()[3], 4.0f);
}

TEST(TensorTest, DimCountsFromTheEndWhenNegative) {
  const Tensor t = Tensor::Empty(DType::kF32, {2, 3, 4});
  EXPECT_EQ(t.dim(0), 2);
  EXPECT_EQ(t.dim(-1), 4);
  EXPECT_EQ(t.dim(-3), 2);
}

TEST(TensorTest, CopiesAndReshapesShareStorage) {
  Tensor a = Tensor::FromVector({2, 3}, {0, 1, 2, 3, 4, 5});
  Tensor b = a;
  const Tensor r = a.Reshape({3, 2});
  b.f32()[0] = 42;
  EXPECT_EQ(a.f32()[0], 42.0f);
  EXPECT_EQ(r.f32()[0], 42.0f);
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
}

TEST(TensorTest, CloneIsIndependent) {
  Tensor a = Tensor::FromVector({3}, {1, 2, 3});
  const Tensor c = a.Clone();
  a.f32()[0] = 9;
  EXPECT_EQ(c.f32()[0], 1.0f);
  EXPECT_NE(c.data(), a.data());
  Tensor half = Tensor::Empty(DType::kF16, {2});
  static_cast<uint16_t*>(half.data())[1] = 0x3c00;
  const Tensor half_copy = half.Clone();
  EXPECT_EQ(half_copy.dtype(), DType::kF16);
  EXPECT_EQ(static_cast<const uint16_t*>(half_copy.data())[1], 0x3c00);
}

TEST(TensorTest, ToF32WidensAndCopies) {
  Tensor half = Tensor::Empty(DType::kF16, {2});
  static_cast<uint16_t*>(half.data())[0] = F32ToF16(0.5f);
  static_cast<uint16_t*>(half.data())[1] = F32ToF16(-3.0f);
  const Tensor wide = half.ToF32();
  EXPECT_EQ(wide.dtype(), DType::kF32);
  EXPECT_EQ(wide.shape(), half.shape());
  EXPECT_EQ(wide.f32()[0], 0.5f);
  EXPECT_EQ(wide.f32()[1], -3.0f);

  const Tensor f = Tensor::FromVector({1}, {7});
  const Tensor f_copy = f.ToF32();
  EXPECT_NE(f_copy.data(), f.data());
  EXPECT_EQ(f_copy.f32()[0], 7.0f);

  Tensor ids = Tensor::Empty(DType::kI64, {2});
  static_cast<int64_t*>(ids.data())[0] = 3;
  static_cast<int64_t*>(ids.data())[1] = -1;
  EXPECT_EQ(ids.ToF32().f32()[1], -1.0f);
}

TEST(TensorTest, ViewKeepsItsOwnerAlive) {
  auto owner = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3, 4});
  std::weak_ptr<std::vector<float>> watch = owner;
  Tensor view = Tensor::View(DType::kF32, {2, 2}, owner->data(), owner);
  owner.reset();
  EXPECT_FALSE(watch.expired());
  EXPECT_EQ(view.f32()[3], 4.0f);
  view = Tensor();
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace kiln
