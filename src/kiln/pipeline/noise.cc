// Compiled with -ffp-contract=off (see CMakeLists.txt): an FMA would round
// differently from a multiply then an add and break bit-identity.
#include "kiln/pipeline/noise.h"

#include <cmath>

namespace kiln {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kLn2 = 0.693147180559945309417;

// ln(x) for x > 0: x = m·2^e with m in [1/√2, √2), then
// ln m = 2·atanh(s), s = (m−1)/(m+1), |s| < 0.172, by its odd series.
double Log(double x) {
  int e = 0;
  double m = std::frexp(x, &e);  // exact: m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2;  // exact
    --e;
  }
  const double s = (m - 1) / (m + 1);
  const double s2 = s * s;
  double term = s, sum = 0;
  for (int k = 1; k <= 31; k += 2) {  // |s|^33 < 1e-25: far below double precision
    sum += term / k;
    term *= s2;
  }
  return 2 * sum + e * kLn2;
}

// sin and cos of φ in [0, π/2] by Taylor series (error < 1e-17 at 24 terms).
void SinCosQuarter(double phi, double* s, double* c) {
  const double p2 = phi * phi;
  double sin_term = phi, cos_term = 1, sin_sum = 0, cos_sum = 0;
  for (int k = 0; k < 12; ++k) {
    sin_sum += sin_term;
    cos_sum += cos_term;
    sin_term *= -p2 / ((2 * k + 2) * (2 * k + 3));
    cos_term *= -p2 / ((2 * k + 1) * (2 * k + 2));
  }
  *s = sin_sum;
  *c = cos_sum;
}

// sin and cos of 2π·f for f in [0, 1), reduced to a quarter turn exactly.
void SinCosTurns(double f, double* s, double* c) {
  const double quarters = f * 4;  // exact
  const int q = static_cast<int>(quarters);
  double qs, qc;
  SinCosQuarter((quarters - q) * (kPi / 2), &qs, &qc);
  switch (q & 3) {
    case 0: *s = qs; *c = qc; break;
    case 1: *s = qc; *c = -qs; break;
    case 2: *s = -qs; *c = -qc; break;
    default: *s = -qc; *c = qs; break;
  }
}

// A uniform in (0, 1) from 53 random bits: never 0, so ln is finite.
double Uniform(uint32_t hi, uint32_t lo) {
  const uint64_t bits = ((static_cast<uint64_t>(hi) << 32) | lo) >> 11;
  return (static_cast<double>(bits) + 0.5) * (1.0 / 9007199254740992.0);
}

}  // namespace

std::array<uint32_t, 4> Philox4x32(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kM0) * c[0];
    const uint64_t p1 = static_cast<uint64_t>(kM1) * c[2];
    c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
         static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
    k[0] += kW0;
    k[1] += kW1;
  }
  return c;
}

void GaussianNoise(float* out, int64_t count, uint64_t seed, uint32_t stream) {
  const std::array<uint32_t, 2> key = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  for (int64_t pair = 0; 2 * pair < count; ++pair) {
    const auto w = Philox4x32({static_cast<uint32_t>(pair), static_cast<uint32_t>(static_cast<uint64_t>(pair) >> 32),
                               stream, 0u},
                              key);
    const double radius = std::sqrt(-2 * Log(Uniform(w[0], w[1])));
    double s, c;
    SinCosTurns(Uniform(w[2], w[3]), &s, &c);
    out[2 * pair] = static_cast<float>(radius * c);
    if (2 * pair + 1 < count) out[2 * pair + 1] = static_cast<float>(radius * s);
  }
}

}  // namespace kiln
