// EnsureFloats: grow-only activation buffers. A model's workspace keeps its
// buffers between calls so a denoising loop allocates nothing after its
// first step; a buffer only ever grows to the largest size asked of it.
#pragma once

#include <cstdint>
#include <vector>

namespace kiln {

inline void EnsureFloats(std::vector<float>& buffer, int64_t floats) {
  if (static_cast<int64_t>(buffer.size()) < floats) buffer.resize(static_cast<size_t>(floats));
}

}  // namespace kiln
