// How finely the memory-bound kernels (norms, elementwise) split their work.
#pragma once

#include <algorithm>
#include <cstdint>

namespace kiln::cpu::internal {

// Below this many elements a thread hand-off costs more than the work.
inline constexpr int64_t kMinElementsPerChunk = 1 << 14;

// Smallest number of rows worth one chunk, for ops that run row by row.
inline int64_t MinRows(int64_t row_elements) {
  return std::max<int64_t>(1, kMinElementsPerChunk / std::max<int64_t>(1, row_elements));
}

}  // namespace kiln::cpu::internal
