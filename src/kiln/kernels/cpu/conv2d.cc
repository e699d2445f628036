#include "kiln/kernels/cpu/conv2d.h"

#include <algorithm>

#include "kiln/kernels/cpu/blas.h"
#include "kiln/kernels/cpu/internal/scratch.h"

namespace kiln::cpu {
namespace {

struct Conv2dScratchTag {};

// The im2col block of one work item holds at most this many floats (4 MiB):
// a full im2col of a 512-channel 3×3 conv at 256×256 would take 1.2 GB.
constexpr int64_t kMaxColumnFloats = int64_t{1} << 20;
// Narrower column blocks make the GEMM inefficient.
constexpr int64_t kMinBlockPixels = 32;

// ⌈a / b⌉ for b > 0 and any sign of a.
int64_t CeilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// col (in_channels·kernel·kernel, p1 - p0): the input patches of output
// pixels [p0, p1) of one image, zero where the kernel overhangs the padding.
//   in (in_channels, in_height, in_width)
void Im2Col(float* col, const float* in, const Conv2dParams& p, int64_t p0, int64_t p1) {
  const int64_t out_w = p.out_width();
  const int64_t width = p1 - p0;
  for (int64_t c = 0; c < p.in_channels; ++c) {
    const float* plane = in + c * p.in_height * p.in_width;
    for (int64_t kh = 0; kh < p.kernel; ++kh) {
      for (int64_t kw = 0; kw < p.kernel; ++kw) {
        float* dst = col + ((c * p.kernel + kh) * p.kernel + kw) * width;
        // Walk the pixel range one output row segment at a time.
        for (int64_t pix = p0; pix < p1;) {
          const int64_t oh = pix / out_w, ow_begin = pix % out_w;
          const int64_t ow_end = std::min(out_w, ow_begin + (p1 - pix));
          const int64_t ih = oh * p.stride - p.pad_top + kh;
          float* seg = dst + (pix - p0);
          pix += ow_end - ow_begin;
          if (ih < 0 || ih >= p.in_height) {
            std::fill(seg, seg + (ow_end - ow_begin), 0.0f);
            continue;
          }
          // Output columns [lo, hi) read inside the row; the rest read padding.
          const int64_t lo = std::clamp(CeilDiv(p.pad_left - kw, p.stride), ow_begin, ow_end);
          const int64_t hi = std::clamp(CeilDiv(p.in_width + p.pad_left - kw, p.stride), lo, ow_end);
          const float* src = plane + ih * p.in_width;  // (in_width)
          const int64_t shift = kw - p.pad_left;          // output column ow reads src[ow·stride + shift]
          std::fill(seg, seg + (lo - ow_begin), 0.0f);
          if (p.stride == 1) {
            std::copy(src + lo + shift, src + hi + shift, seg + (lo - ow_begin));
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) seg[ow - ow_begin] = src[ow * p.stride + shift];
          }
          std::fill(seg + (hi - ow_begin), seg + (ow_end - ow_begin), 0.0f);
        }
      }
    }
  }
}

}  // namespace

void Conv2d(ThreadPool& pool, float* out, const float* in, const float* weight, const float* bias,
            const Conv2dParams& params) {
  const Conv2dParams& p = params;
  const int64_t out_pixels = p.out_height() * p.out_width();
  const int64_t in_pixels = p.in_height * p.in_width;
  const int64_t patch = p.in_channels * p.kernel * p.kernel;  // GEMM inner dim
  if (out_pixels <= 0 || p.batch <= 0 || p.out_channels <= 0) return;
  // A 1×1 stride-1 unpadded conv is already a GEMM on the input as stored.
  const bool direct = p.kernel == 1 && p.stride == 1 && p.pad_top == 0 && p.pad_bottom == 0 &&
                      p.pad_left == 0 && p.pad_right == 0;

  // Work items are (image, block of output pixels), at most the scratch budget
  // each. The item count is rounded up to a multiple of the thread count so the
  // threads get equal shares: 5 blocks on 2 threads would run at 3/5 speed.
  const int64_t threads = pool.num_threads();
  const int64_t budget_block = std::max(kMinBlockPixels, kMaxColumnFloats / std::max<int64_t>(1, patch));
  const int64_t items = p.batch * CeilDiv(out_pixels, budget_block);
  const int64_t blocks_wanted = CeilDiv(CeilDiv(items, threads) * threads, p.batch);
  const int64_t block = std::min(out_pixels, std::max(kMinBlockPixels, CeilDiv(out_pixels, blocks_wanted)));
  const int64_t blocks_per_image = CeilDiv(out_pixels, block);

  pool.ParallelFor(p.batch * blocks_per_image, [&](int64_t begin, int64_t end) {
    float* col = direct ? nullptr : internal::ThreadScratch<Conv2dScratchTag>(patch * block);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / blocks_per_image;
      const int64_t p0 = (item % blocks_per_image) * block;
      const int64_t p1 = std::min(out_pixels, p0 + block);
      const float* image = in + n * p.in_channels * in_pixels;  // (in_channels, in_height, in_width)
      float* dst = out + n * p.out_channels * out_pixels + p0;  // (out_channels, p1 - p0), row stride out_pixels

      // B (patch, p1 - p0): im2col columns, or the input itself for 1×1 convs.
      const float* b = image + p0;
      int64_t ldb = in_pixels;
      if (!direct) {
        Im2Col(col, image, p, p0, p1);
        b = col;
        ldb = p1 - p0;
      }
      float beta = 0.0f;
      if (bias != nullptr) {
        // Seed with the bias and accumulate onto it: no second pass over out.
        for (int64_t oc = 0; oc < p.out_channels; ++oc) {
          std::fill(dst + oc * out_pixels, dst + oc * out_pixels + (p1 - p0), bias[oc]);
        }
        beta = 1.0f;
      }
      // dst (out_channels, p1 - p0) = weight (out_channels, patch) · B
      Sgemm(false, false, p.out_channels, p1 - p0, patch, 1.0f, weight, patch, b, ldb, beta, dst, out_pixels);
    }
  });
}

}  // namespace kiln::cpu
