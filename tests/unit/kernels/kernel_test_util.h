// Shared helpers for the CPU kernel tests: seeded random data and an
// element-wise comparison against a double-precision reference.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace kiln::cpu::testing {

inline std::vector<float> RandomVector(int64_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Passes when |got - want| <= rel·|want| + abs for every element; reports the
// first element that fails, and how many do.
template <typename Want>
::testing::AssertionResult AllNear(const std::vector<float>& got, const std::vector<Want>& want,
                                   double rel = 1e-5, double abs = 1e-6) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "size " << got.size() << " != " << want.size();
  }
  int64_t bad = 0, first = -1;
  for (size_t i = 0; i < got.size(); ++i) {
    const double w = static_cast<double>(want[i]);
    if (!(std::fabs(got[i] - w) <= rel * std::fabs(w) + abs)) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++bad;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << got.size() << " elements differ; first at "
                                       << first << ": got " << got[first] << ", want "
                                       << static_cast<double>(want[first]);
}

// The thread counts every kernel is run with; results must agree across them.
inline constexpr int kThreadCounts[] = {1, 2};

}  // namespace kiln::cpu::testing
