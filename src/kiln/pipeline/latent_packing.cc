#include "kiln/pipeline/latent_packing.h"

namespace kiln {
namespace {

// Visits every latent element with its packed index.
template <typename Fn>
void ForEachPacked(int64_t batch, int64_t channels, int64_t height, int64_t width, Fn fn) {
  const int64_t rows = height / 2, cols = width / 2, dims = channels * 4;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t y = 0; y < height; ++y)
        for (int64_t x = 0; x < width; ++x) {
          const int64_t token = (y / 2) * cols + x / 2;
          const int64_t dim = c * 4 + (y % 2) * 2 + x % 2;
          const int64_t latent_index = ((b * channels + c) * height + y) * width + x;
          const int64_t packed_index = (b * rows * cols + token) * dims + dim;
          fn(latent_index, packed_index);
        }
}

}  // namespace

void PackLatents(float* packed, const float* latent, int64_t batch, int64_t channels, int64_t height,
                 int64_t width) {
  ForEachPacked(batch, channels, height, width, [&](int64_t l, int64_t p) { packed[p] = latent[l]; });
}

void UnpackLatents(float* latent, const float* packed, int64_t batch, int64_t channels, int64_t height,
                   int64_t width) {
  ForEachPacked(batch, channels, height, width, [&](int64_t l, int64_t p) { latent[l] = packed[p]; });
}

void MakeImageIds(float* ids, int64_t batch, int64_t height, int64_t width) {
  const int64_t rows = height / 2, cols = width / 2;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        float* id = ids + ((b * rows + r) * cols + c) * 3;
        id[0] = 0.0f;
        id[1] = static_cast<float>(r);
        id[2] = static_cast<float>(c);
      }
}

}  // namespace kiln
