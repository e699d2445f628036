// Per-thread scratch memory for kernels that need a temporary buffer.
#pragma once

#include <cstdint>
#include <vector>

namespace kiln::cpu::internal {

// A buffer of at least `floats` floats owned by the calling thread. It only
// grows, so steady-state calls allocate nothing. Each kernel passes its own
// Tag type so two kernels never hand out the same buffer. The pointer stays
// valid until the same thread asks for a larger buffer with the same Tag.
template <typename Tag>
float* ThreadScratch(int64_t floats) {
  thread_local std::vector<float> buffer;
  if (static_cast<int64_t>(buffer.size()) < floats) buffer.resize(floats);
  return buffer.data();
}

}  // namespace kiln::cpu::internal
