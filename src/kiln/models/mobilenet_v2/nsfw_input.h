// The input nsfwjs feeds its MobileNetV2 (dist/cjs/core.js NSFWJS.infer),
// bit for bit:
//   1. x = float32(byte) / 255.0f — a float division (multiplying by 1/255
//      differs by one ulp for 126 of the 256 byte values);
//   2. only when the image is not 224×224: tf.image.resizeBilinear to 224×224
//      with alignCorners = true (the whole image stretched, no crop), after
//      the division, with the tfjs CPU kernel's arithmetic (cpu::ResizeBilinear).
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/base/thread_pool.h"

namespace kiln {

// rgb (height, width, 3) 8-bit, row-major → out (224, 224, 3) f32.
// scratch holds the divided image before a resize; it only grows.
// REQUIRES: width, height >= 1
void PrepareNsfwInput(ThreadPool& pool, const uint8_t* rgb, int width, int height, std::vector<float>& scratch,
                      float* out);

// out[i] = float32(rgb[i]) / 255.0f for n values.
void BytesToUnitFloat(const uint8_t* rgb, int64_t n, float* out);

}  // namespace kiln
