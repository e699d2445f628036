#include "kiln/kernels/cpu/resize_bilinear.h"

#include <algorithm>
#include <cmath>

#include "kiln/kernels/cpu/internal/chunking.h"

namespace kiln::cpu {
namespace {

// Where output index i samples the input, as tfjs computes it.
struct SourceIndex {
  int64_t lo, hi;
  double frac;
};

SourceIndex Source(double ratio, int64_t i, int64_t in_size) {
  const double s = ratio * static_cast<double>(i);
  const double lo = std::max(0.0, std::floor(s));
  return {static_cast<int64_t>(lo), std::min(in_size - 1, static_cast<int64_t>(std::ceil(s))), s - lo};
}

double Ratio(int64_t in_size, int64_t out_size, bool align_corners) {
  const bool align = align_corners && out_size > 1;
  return static_cast<double>(align ? in_size - 1 : in_size) / static_cast<double>(align ? out_size - 1 : out_size);
}

}  // namespace

void ResizeBilinear(ThreadPool& pool, float* out, const float* in, int64_t batch, int64_t in_height,
                    int64_t in_width, int64_t channels, int64_t out_height, int64_t out_width,
                    bool align_corners) {
  const double row_ratio = Ratio(in_height, out_height, align_corners);
  const double col_ratio = Ratio(in_width, out_width, align_corners);
  const int64_t row_floats = out_width * channels;
  pool.ParallelFor(
      batch * out_height,
      [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
          const int64_t n = item / out_height, r = item % out_height;
          const SourceIndex y = Source(row_ratio, r, in_height);
          const float* image = in + n * in_height * in_width * channels;
          const float* top_row = image + y.lo * in_width * channels;
          const float* bottom_row = image + y.hi * in_width * channels;
          float* o = out + item * row_floats;
          for (int64_t c = 0; c < out_width; ++c) {
            const SourceIndex x = Source(col_ratio, c, in_width);
            for (int64_t d = 0; d < channels; ++d) {
              const double tl = top_row[x.lo * channels + d], tr = top_row[x.hi * channels + d];
              const double bl = bottom_row[x.lo * channels + d], br = bottom_row[x.hi * channels + d];
              const double top = tl + (tr - tl) * x.frac;
              const double bottom = bl + (br - bl) * x.frac;
              o[c * channels + d] = static_cast<float>(top + (bottom - top) * y.frac);
            }
          }
        }
      },
      internal::MinRows(row_floats * 8));
}

}  // namespace kiln::cpu
