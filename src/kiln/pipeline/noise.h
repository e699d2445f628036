// Seeded Gaussian noise that is bit-identical for the same seed on every
// machine, thread count and batch composition.
//
// The generator: Philox4x32-10 (Salmon et al., "Parallel random numbers: as
// easy as 1, 2, 3", SC'11), keyed by the 64-bit seed, counter = (element
// pair index, stream). Each counter gives four 32-bit words; (w0, w1) and
// (w2, w3) make two 53-bit uniforms u1, u2 in (0, 1), and Box–Muller turns
// them into two normals: √(−2 ln u1)·cos(2π u2), √(−2 ln u1)·sin(2π u2).
// ln, cos and sin are our own polynomials over IEEE double +, −, ×, ÷ and
// √ (all correctly rounded), compiled without FMA contraction, so no libm
// or CPU difference can change a bit. The result is rounded to float.
//
// Noise depends only on (seed, stream, element index): image i of a batch
// gets the same noise as when it runs alone with its own seed.
#pragma once

#include <array>
#include <cstdint>

namespace kiln {

// One Philox4x32-10 block: exposed for its known-answer test.
std::array<uint32_t, 4> Philox4x32(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

// out[i] ~ N(0, 1) for i in [0, count).
void GaussianNoise(float* out, int64_t count, uint64_t seed, uint32_t stream = 0);

}  // namespace kiln
