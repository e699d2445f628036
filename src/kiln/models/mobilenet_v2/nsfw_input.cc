#include "kiln/models/mobilenet_v2/nsfw_input.h"

#include "kiln/kernels/cpu/resize_bilinear.h"
#include "kiln/models/mobilenet_v2/mobilenet_v2_arch.h"
#include "kiln/models/workspace_buffer.h"

namespace kiln {

void BytesToUnitFloat(const uint8_t* rgb, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(rgb[i]) / 255.0f;
}

void PrepareNsfwInput(ThreadPool& pool, const uint8_t* rgb, int width, int height, std::vector<float>& scratch,
                      float* out) {
  constexpr int64_t kSize = MobileNetV2Arch::kInputSize;
  const int64_t n = static_cast<int64_t>(width) * height * 3;
  if (width == kSize && height == kSize) {
    BytesToUnitFloat(rgb, n, out);
    return;
  }
  EnsureFloats(scratch, n);
  BytesToUnitFloat(rgb, n, scratch.data());
  cpu::ResizeBilinear(pool, out, scratch.data(), 1, height, width, 3, kSize, kSize, /*align_corners=*/true);
}

}  // namespace kiln
