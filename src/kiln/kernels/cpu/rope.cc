#include "kiln/kernels/cpu/rope.h"

#include <algorithm>
#include <cmath>

namespace kiln::cpu {

void RopeTable(float* pe, const float* ids, int64_t batch, int64_t tokens, const int64_t* axes_dim,
               int num_axes, float theta) {
  int64_t half_dim = 0;
  for (int a = 0; a < num_axes; ++a) half_dim += axes_dim[a] / 2;
  // flux.math.rope works in float64 and casts the table to float32 at the
  // end; doing the same keeps angles of large positions exact to f32.
  for (int64_t bt = 0; bt < batch * tokens; ++bt) {
    const float* pos = ids + bt * num_axes;  // (num_axes)
    float* row = pe + bt * half_dim * 4;     // (half_dim, 2, 2)
    for (int a = 0; a < num_axes; ++a) {
      const int64_t dim = axes_dim[a];
      for (int64_t j = 0; j < dim / 2; ++j) {
        const double scale = static_cast<double>(2 * j) / static_cast<double>(dim);
        const double omega = 1.0 / std::pow(static_cast<double>(theta), scale);
        const double angle = static_cast<double>(pos[a]) * omega;
        const float c = static_cast<float>(std::cos(angle));
        const float s = static_cast<float>(std::sin(angle));
        row[0] = c;
        row[1] = -s;
        row[2] = s;
        row[3] = c;
        row += 4;
      }
    }
  }
}

void ApplyRope(ThreadPool& pool, float* x, const float* pe, int64_t batch, int64_t heads,
               int64_t tokens, int64_t head_dim) {
  const int64_t half_dim = head_dim / 2;
  // One work item per (batch, head, token) row.
  pool.ParallelFor(
      batch * heads * tokens,
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const int64_t b = row / (heads * tokens);
          const int64_t t = row % tokens;
          float* xr = x + row * head_dim;                          // (head_dim)
          const float* p = pe + (b * tokens + t) * half_dim * 4;   // (half_dim, 2, 2)
          for (int64_t j = 0; j < half_dim; ++j) {
            const float x0 = xr[2 * j], x1 = xr[2 * j + 1];
            const float* m = p + 4 * j;
            xr[2 * j] = m[0] * x0 + m[1] * x1;
            xr[2 * j + 1] = m[2] * x0 + m[3] * x1;
          }
        }
      },
      std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, head_dim)));
}

}  // namespace kiln::cpu
