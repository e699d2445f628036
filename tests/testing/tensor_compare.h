// Test assertions on top of kiln::CompareTensors (max_rel and rel_l2 as the
// golden READMEs state their tolerances). Header-only: tests/ has no library.
#pragma once

#include <gtest/gtest.h>

#include "kiln/tensor/tensor.h"
#include "kiln/tensor/tensor_diff.h"

namespace kiln::test {

// The comparison itself lives in the library (kiln/tensor/tensor_diff.h).
using ::kiln::CompareTensors;
using ::kiln::TensorDiff;

// EXPECT_TRUE(TensorsClose(out, ref, 1e-4, 5e-5)) << "name";
// Fails on a shape mismatch, a non-finite value, or either bound exceeded;
// the message always carries the numbers.
inline ::testing::AssertionResult TensorsClose(const Tensor& out, const Tensor& ref,
                                               double max_rel, double rel_l2) {
  if (out.shape() != ref.shape()) {
    return ::testing::AssertionFailure() << "shape " << ShapeToString(out.shape())
                                         << " != reference " << ShapeToString(ref.shape());
  }
  const TensorDiff diff = CompareTensors(out, ref);
  // NaN in the error compares false against the bounds: fail explicitly.
  if (!diff.Within(max_rel, rel_l2)) {
    return ::testing::AssertionFailure() << diff.ToString() << " exceeds bounds max_rel "
                                         << max_rel << ", rel_l2 " << rel_l2;
  }
  return ::testing::AssertionSuccess() << diff.ToString();
}

}  // namespace kiln::test
