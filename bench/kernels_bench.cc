// Timings of the CPU kernels at the shapes of the kiln-shapes FLUX model
// (hidden 512, 8 heads of 64, 256×256 → 320 tokens, 512×512 → 1280 tokens) and
// its AutoencoderKL, plus the measurement behind the matmul choice in
// docs/KERNELS.md: OpenBLAS sgemm (kernels/cpu/blas.h, pinned to one thread)
// against a plain AVX2/FMA register-blocked kernel.
//
// Usage: kernels_bench [--quick] [--matmul | --others]
//   --quick: 3 repetitions instead of 15, for smoke runs; --matmul / --others:
//   only the matmul comparison / only the other kernels.
// Prints one line per case: median and best wall time over the repetitions.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kiln/base/thread_pool.h"
#include "kiln/kernels/cpu/attention.h"
#include "kiln/kernels/cpu/blas.h"
#include "kiln/kernels/cpu/conv2d.h"
#include "kiln/kernels/cpu/elementwise.h"
#include "kiln/kernels/cpu/matmul.h"
#include "kiln/kernels/cpu/norm.h"
#include "kiln/kernels/cpu/rope.h"

namespace kiln::cpu {
namespace {

struct Timing {
  double median_ms, best_ms;
};

// Runs fn once to warm caches and scratch buffers, then `reps` timed runs.
Timing Time(int reps, const std::function<void()>& fn) {
  fn();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front()};
}

std::vector<float> Random(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Times two alternatives in alternation (a, b, a, b, …) so that load from
// other processes on a shared machine hits both alike.
std::pair<Timing, Timing> TimeInterleaved(int reps, const std::function<void()>& a,
                                          const std::function<void()>& b) {
  a();
  b();
  std::vector<double> ms_a, ms_b;
  for (int i = 0; i < reps; ++i) {
    for (auto [fn, ms] : {std::pair{&a, &ms_a}, std::pair{&b, &ms_b}}) {
      const auto t0 = std::chrono::steady_clock::now();
      (*fn)();
      ms->push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  std::sort(ms_a.begin(), ms_a.end());
  std::sort(ms_b.begin(), ms_b.end());
  return {{ms_a[ms_a.size() / 2], ms_a.front()}, {ms_b[ms_b.size() / 2], ms_b.front()}};
}

void Report(const std::string& name, const Timing& t, double flops = 0.0) {
  std::printf("%-52s median %9.3f ms  best %9.3f ms", name.c_str(), t.median_ms, t.best_ms);
  if (flops > 0) std::printf("  %7.1f GFLOP/s (median)", flops / (t.median_ms * 1e6));
  std::printf("\n");
}

// ---- the candidate own kernel: c (m, n) = a (m, k) · b (n, k)ᵀ -------------
// GotoBLAS structure: b is packed into kc × 16 column panels (an nc-wide block
// of them fits in L2), a into kc × 6 row panels (in L1), and a 6×16 micro-
// kernel keeps its 12 accumulators in ymm registers.
constexpr int64_t kMr = 6, kNr = 16, kKc = 256, kNc = 384;

void MicroKernel(int64_t kc, const float* a_panel, const float* b_panel, float* c, int64_t ldc,
                 bool accumulate) {
  __m256 acc[kMr][2];
  for (auto& row : acc) row[0] = row[1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_load_ps(b_panel + p * kNr);
    const __m256 b1 = _mm256_load_ps(b_panel + p * kNr + 8);
    for (int64_t r = 0; r < kMr; ++r) {
      const __m256 a = _mm256_broadcast_ss(a_panel + p * kMr + r);
      acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
    }
  }
  for (int64_t r = 0; r < kMr; ++r) {
    float* row = c + r * ldc;
    if (accumulate) {
      acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_loadu_ps(row));
      acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_loadu_ps(row + 8));
    }
    _mm256_storeu_ps(row, acc[r][0]);
    _mm256_storeu_ps(row + 8, acc[r][1]);
  }
}

// REQUIRES: n % 16 == 0 (true of every FLUX projection); ragged m is padded.
void OwnGemmNT(float* c, const float* a, const float* b, int64_t m, int64_t n, int64_t k) {
  static thread_local std::vector<float> a_pack_storage, b_pack_storage;
  a_pack_storage.resize(kKc * kMr + 8);
  b_pack_storage.resize(kKc * kNc + 8);
  // 32-byte alignment for the aligned panel loads.
  float* a_pack = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(a_pack_storage.data()) + 31) & ~uintptr_t{31});
  float* b_pack = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(b_pack_storage.data()) + 31) & ~uintptr_t{31});
  alignas(32) float edge[kMr * kNr];
  for (int64_t jc = 0; jc < n; jc += kNc) {
    const int64_t nc = std::min(kNc, n - jc);
    for (int64_t pc = 0; pc < k; pc += kKc) {
      const int64_t kc = std::min(kKc, k - pc);
      // b_pack (nc/16 panels of (kc, 16)): b rows jc.. are c's columns.
      for (int64_t jp = 0; jp < nc; jp += kNr) {
        float* panel = b_pack + jp * kc;
        for (int64_t col = 0; col < kNr; ++col) {
          const float* src = b + (jc + jp + col) * k + pc;
          for (int64_t p = 0; p < kc; ++p) panel[p * kNr + col] = src[p];
        }
      }
      for (int64_t ic = 0; ic < m; ic += kMr) {
        const int64_t mr = std::min(kMr, m - ic);
        for (int64_t r = 0; r < kMr; ++r) {
          for (int64_t p = 0; p < kc; ++p) a_pack[p * kMr + r] = r < mr ? a[(ic + r) * k + pc + p] : 0.0f;
        }
        for (int64_t jp = 0; jp < nc; jp += kNr) {
          float* tile = c + ic * n + jc + jp;
          if (mr == kMr) {
            MicroKernel(kc, a_pack, b_pack + jp * kc, tile, n, pc > 0);
            continue;
          }
          for (int64_t r = 0; r < mr; ++r) std::memcpy(edge + r * kNr, tile + r * n, kNr * sizeof(float));
          MicroKernel(kc, a_pack, b_pack + jp * kc, edge, kNr, pc > 0);
          for (int64_t r = 0; r < mr; ++r) std::memcpy(tile + r * n, edge + r * kNr, kNr * sizeof(float));
        }
      }
    }
  }
}

void BenchMatmul(int reps) {
  std::printf("== matmul: out (M, N) = in (M, K) · weight (N, K)ᵀ, K = 512 ==\n");
  ThreadPool pool1(1), pool2(2);
  for (int64_t m : {320, 1280}) {
    for (int64_t n : {1536, 2048, 512}) {
      const int64_t k = 512;
      const auto a = Random(m * k, 1), b = Random(n * k, 2), bias = Random(n, 3);
      std::vector<float> c_blas(m * n), c_own(m * n), c_linear(m * n);
      const double flops = 2.0 * m * n * k;
      const std::string shape = "M=" + std::to_string(m) + " N=" + std::to_string(n) + " K=512";
      const auto [blas, own] = TimeInterleaved(
          reps,
          [&] { Sgemm(false, true, m, n, k, 1.0f, a.data(), k, b.data(), k, 0.0f, c_blas.data(), n); },
          [&] { OwnGemmNT(c_own.data(), a.data(), b.data(), m, n, k); });
      Report("OpenBLAS sgemm 1 thread " + shape, blas, flops);
      Report("own AVX2 6x16 1 thread  " + shape, own, flops);
      double max_diff = 0.0;
      for (int64_t i = 0; i < m * n; ++i) max_diff = std::max<double>(max_diff, std::fabs(c_own[i] - c_blas[i]));
      std::printf("%-52s max |own - blas| = %.2e\n", "", max_diff);
      const auto [linear1, linear2] = TimeInterleaved(
          reps, [&] { Linear(pool1, c_linear.data(), a.data(), b.data(), bias.data(), m, k, n); },
          [&] { Linear(pool2, c_linear.data(), a.data(), b.data(), bias.data(), m, k, n); });
      Report("Linear (bias) 1 thread  " + shape, linear1, flops);
      Report("Linear (bias) 2 threads " + shape, linear2, flops);
    }
  }
}

void BenchOthers(int reps, ThreadPool& pool) {
  const std::string suffix = " (" + std::to_string(pool.num_threads()) + " thr)";
  {
    // Joint attention of the double/single blocks: 8 heads of 64 over 320 / 1280 tokens.
    for (int64_t tokens : {320, 1280}) {
      const int64_t heads = 8, head_dim = 64;
      const auto q = Random(heads * tokens * head_dim, 4), k = Random(heads * tokens * head_dim, 5),
                 v = Random(heads * tokens * head_dim, 6);
      std::vector<float> out(tokens * heads * head_dim);
      Report("Attention 8x" + std::to_string(tokens) + "x64" + suffix, Time(reps, [&] {
               Attention(pool, out.data(), q.data(), k.data(), v.data(), 1, heads, tokens, tokens, head_dim);
             }), 4.0 * heads * tokens * tokens * head_dim);
    }
  }
  {
    // AutoencoderKL decoder convs: 3×3 at 128 channels on 128×128, 512 channels on 32×32,
    // and the 1×1 shortcut.
    struct ConvCase {
      int64_t in_c, out_c, size, kernel;
    };
    for (const ConvCase& cc : {ConvCase{128, 128, 128, 3}, ConvCase{512, 512, 32, 3}, ConvCase{256, 128, 128, 1}}) {
      Conv2dParams p;
      p.in_channels = cc.in_c;
      p.out_channels = cc.out_c;
      p.in_height = p.in_width = cc.size;
      p.kernel = cc.kernel;
      p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = cc.kernel / 2;
      const auto in = Random(p.in_channels * cc.size * cc.size, 7);
      const auto w = Random(p.out_channels * p.in_channels * p.kernel * p.kernel, 8);
      const auto bias = Random(p.out_channels, 9);
      std::vector<float> out(p.out_channels * p.out_height() * p.out_width());
      const double flops = 2.0 * p.out_channels * p.out_height() * p.out_width() * p.in_channels * p.kernel * p.kernel;
      Report("Conv2d " + std::to_string(cc.in_c) + "->" + std::to_string(cc.out_c) + " " + std::to_string(cc.kernel) +
                 "x" + std::to_string(cc.kernel) + " @" + std::to_string(cc.size) + suffix,
             Time(reps, [&] { Conv2d(pool, out.data(), in.data(), w.data(), bias.data(), p); }), flops);
    }
  }
  {
    const int64_t rows = 1280, cols = 512, n = rows * cols;
    auto x = Random(n, 10);
    std::vector<float> out(n);
    const auto scale = Random(cols, 11);
    Report("LayerNorm 1280x512" + suffix, Time(reps, [&] { LayerNorm(pool, out.data(), x.data(), rows, cols, 1e-6f); }));
    Report("RmsNorm 1280x512" + suffix,
           Time(reps, [&] { RmsNorm(pool, out.data(), x.data(), scale.data(), rows, cols, 1e-6f); }));
    // Softmax is in place; each run starts again from the same logits.
    const auto logits = Random(rows * rows, 12);
    std::vector<float> s(logits.size());
    Report("Softmax 1280x1280 (incl. 6.5 MB copy)" + suffix, Time(reps, [&] {
             std::copy(logits.begin(), logits.end(), s.begin());
             Softmax(pool, s.data(), rows, rows);
           }));
    const auto big = Random(rows * cols * 4, 13);
    std::vector<float> big_out(big.size());
    Report("GeluTanh 1280x2048" + suffix, Time(reps, [&] { GeluTanh(pool, big_out.data(), big.data(), rows * cols * 4); }));
    Report("Silu 1280x2048" + suffix, Time(reps, [&] { Silu(pool, big_out.data(), big.data(), rows * cols * 4); }));
    Report("Add 1280x2048" + suffix,
           Time(reps, [&] { Add(pool, big_out.data(), big.data(), big_out.data(), rows * cols * 4); }));
    const auto mod = Random(3 * cols, 14);
    Report("Modulate 1280x512" + suffix, Time(reps, [&] {
             Modulate(pool, out.data(), x.data(), mod.data(), mod.data() + cols, 3 * cols, 1, rows, cols);
           }));
    const auto pe = Random(rows * 32 * 4, 15);
    std::vector<float> qk = Random(8 * rows * 64, 16);
    Report("ApplyRope 8x1280x64" + suffix, Time(reps, [&] { ApplyRope(pool, qk.data(), pe.data(), 1, 8, rows, 64); }));
  }
  {
    const int64_t channels = 128, spatial = 256 * 256;
    const auto x = Random(channels * spatial, 17), gamma = Random(channels, 18), beta = Random(channels, 19);
    std::vector<float> out(x.size());
    Report("GroupNorm 128x256x256 g32" + suffix, Time(reps, [&] {
             GroupNorm(pool, out.data(), x.data(), gamma.data(), beta.data(), 1, channels, spatial, 32, 1e-6f);
           }));
    std::vector<float> up(4 * x.size());
    Report("UpsampleNearest2x 128x256x256" + suffix,
           Time(reps, [&] { UpsampleNearest2x(pool, up.data(), x.data(), channels, 256, 256); }));
  }
}

}  // namespace
}  // namespace kiln::cpu

int main(int argc, char** argv) {
  bool quick = false, matmul = true, others = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      quick = true;
    } else if (arg == "--matmul") {
      others = false;
    } else if (arg == "--others") {
      matmul = false;
    } else {
      std::fprintf(stderr, "usage: kernels_bench [--quick] [--matmul | --others]\n");
      return 2;
    }
  }
  const int reps = quick ? 3 : 15;
  if (matmul) kiln::cpu::BenchMatmul(reps);
  if (!others) return 0;
  for (int threads : {1, 2}) {
    kiln::ThreadPool pool(threads);
    std::printf("== other kernels, %d thread(s) ==\n", threads);
    kiln::cpu::BenchOthers(reps, pool);
  }
  return 0;
}
