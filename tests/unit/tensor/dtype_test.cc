#include "kiln/tensor/dtype.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace kiln {
namespace {

uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof(b));
  return b;
}

float FromBits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof(f));
  return f;
}

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(DTypeTest, SizesNamesAndParsing) {
  const std::vector<std::pair<DType, size_t>> all = {{DType::kF32, 4}, {DType::kF16, 2}, {DType::kBF16, 2},
                                                     {DType::kF64, 8}, {DType::kI64, 8}, {DType::kI32, 4},
                                                     {DType::kU8, 1}};
  for (const auto& [dtype, size] : all) {
    EXPECT_EQ(DTypeSize(dtype), size);
    DType parsed = DType::kU8;
    ASSERT_TRUE(ParseDType(DTypeName(dtype), &parsed)) << DTypeName(dtype);
    EXPECT_EQ(parsed, dtype);
  }
  EXPECT_EQ(DTypeName(DType::kBF16), "BF16");
  DType unchanged = DType::kI32;
  for (const char* bad : {"", "f32", "F8_E4M3", "BOOL", "F32 "}) {
    EXPECT_FALSE(ParseDType(bad, &unchanged)) << bad;
    EXPECT_EQ(unchanged, DType::kI32);
  }
}

TEST(F16Test, SpecialValues) {
  EXPECT_EQ(F16ToF32(0x0000), 0.0f);
  EXPECT_TRUE(std::signbit(F16ToF32(0x8000)));
  EXPECT_EQ(F16ToF32(0x3c00), 1.0f);
  EXPECT_EQ(F16ToF32(0xc000), -2.0f);
  EXPECT_EQ(F16ToF32(0x7bff), 65504.0f);
  EXPECT_EQ(F16ToF32(0x0400), std::ldexp(1.0f, -14));   // smallest normal
  EXPECT_EQ(F16ToF32(0x0001), std::ldexp(1.0f, -24));   // smallest subnormal
  EXPECT_EQ(F16ToF32(0x03ff), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(F16ToF32(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(F16ToF32(0x7c00), kInf);
  EXPECT_EQ(F16ToF32(0xfc00), -kInf);
  EXPECT_TRUE(std::isnan(F16ToF32(0x7e00)));
  EXPECT_TRUE(std::isnan(F16ToF32(0x7c01)));  // signalling NaN stays NaN

  EXPECT_EQ(F32ToF16(0.0f), 0x0000);
  EXPECT_EQ(F32ToF16(-0.0f), 0x8000);
  EXPECT_EQ(F32ToF16(1.0f), 0x3c00);
  EXPECT_EQ(F32ToF16(65504.0f), 0x7bff);
  EXPECT_EQ(F32ToF16(kInf), 0x7c00);
  EXPECT_EQ(F32ToF16(-kInf), 0xfc00);
  EXPECT_EQ(F32ToF16(1e10f), 0x7c00);
  EXPECT_EQ(F32ToF16(-1e10f), 0xfc00);
  EXPECT_EQ(F32ToF16(std::numeric_limits<float>::max()), 0x7c00);
  EXPECT_EQ(F32ToF16(1e-30f), 0x0000);
  EXPECT_EQ(F32ToF16(-1e-30f), 0x8000);
  EXPECT_EQ(F32ToF16(std::numeric_limits<float>::denorm_min()), 0x0000);
  const uint16_t nan = F32ToF16(kNaN);
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x03ff, 0);
  EXPECT_EQ(F32ToF16(-kNaN) & 0x8000, 0x8000);
  EXPECT_NE(F32ToF16(FromBits(0x7f800001)) & 0x03ff, 0);  // a NaN whose payload is below f16's
}

TEST(F16Test, RoundsToNearestEven) {
  // 65519.99 rounds down to the largest finite value; 65520 is the tie with 2^16 and goes to inf.
  EXPECT_EQ(F32ToF16(std::nextafter(65520.0f, 0.0f)), 0x7bff);
  EXPECT_EQ(F32ToF16(65520.0f), 0x7c00);
  // Ties between normal neighbours: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10.
  EXPECT_EQ(F32ToF16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(F32ToF16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(F32ToF16(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 0x3c01);
  // Ties in the subnormal range, in units of 2^-24.
  EXPECT_EQ(F32ToF16(std::ldexp(1.0f, -25)), 0x0000);   // 0.5 -> 0
  EXPECT_EQ(F32ToF16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(F32ToF16(std::ldexp(3.0f, -25)), 0x0002);   // 1.5 -> 2
  EXPECT_EQ(F32ToF16(std::ldexp(5.0f, -25)), 0x0002);   // 2.5 -> 2
  // Rounding up out of the subnormal range lands on the smallest normal.
  EXPECT_EQ(F32ToF16(std::ldexp(2047.0f, -25)), 0x0400);
  EXPECT_EQ(F32ToF16(std::nextafter(std::ldexp(1.0f, -14), 0.0f)), 0x0400);
}

TEST(F16Test, EveryHalfSurvivesARoundTrip) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = F16ToF32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(f)))) << h;
      continue;
    }
    ASSERT_EQ(F32ToF16(f), h) << "f16 bits " << h;
  }
}

#if defined(__FLT16_MAX__)
// The compiler's own conversions (libgcc or F16C) as the reference.
TEST(F16Test, MatchesTheCompilersFloat16Conversions) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    _Float16 half;
    const uint16_t bits = static_cast<uint16_t>(h);
    std::memcpy(&half, &bits, sizeof(half));
    const float expected = static_cast<float>(half);
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(F16ToF32(bits))) << h;
    } else {
      ASSERT_EQ(Bits(F16ToF32(bits)), Bits(expected)) << h;
    }
  }

  std::vector<float> values;
  // Every f16 value, its neighbours in f32 and the midpoints to the next f16.
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    const float f = F16ToF32(static_cast<uint16_t>(h));
    const float next = F16ToF32(static_cast<uint16_t>(h + 1));
    const float mid = f + (next - f) / 2;  // exact in f32
    for (float v : {f, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, kInf), std::nextafter(f, kInf)}) {
      values.push_back(v);
      values.push_back(-v);
    }
  }
  std::mt19937 rng(1234);
  for (int i = 0; i < 2000000; ++i) values.push_back(FromBits(static_cast<uint32_t>(rng())));
  for (float v : {0.0f, -0.0f, kInf, -kInf, 65520.0f, 1e-8f, std::numeric_limits<float>::max(),
                  std::numeric_limits<float>::min(), std::numeric_limits<float>::denorm_min()}) {
    values.push_back(v);
  }

  for (float v : values) {
    const _Float16 half = static_cast<_Float16>(v);
    uint16_t expected;
    std::memcpy(&expected, &half, sizeof(expected));
    const uint16_t got = F32ToF16(v);
    if (std::isnan(v)) {
      ASSERT_EQ(got & 0x7c00, 0x7c00) << Bits(v);
      ASSERT_NE(got & 0x03ff, 0) << Bits(v);
    } else {
      ASSERT_EQ(got, expected) << "f32 bits 0x" << std::hex << Bits(v);
    }
  }
}
#endif

// Round to nearest even by exact comparison: bf16 keeps the top 16 bits.
uint16_t ReferenceBF16(float v) {
  const uint32_t bits = Bits(v);
  const uint32_t down = bits & 0xffff0000u;
  const uint32_t up = down + 0x10000u;
  const uint32_t rest = bits & 0xffffu;
  if (rest < 0x8000u) return static_cast<uint16_t>(down >> 16);
  if (rest > 0x8000u) return static_cast<uint16_t>(up >> 16);
  return static_cast<uint16_t>(((down >> 16) & 1u) ? up >> 16 : down >> 16);
}

TEST(BF16Test, SpecialValuesAndTies) {
  EXPECT_EQ(BF16ToF32(0x3f80), 1.0f);
  EXPECT_EQ(BF16ToF32(0xff80), -kInf);
  EXPECT_EQ(BF16ToF32(0x0001), FromBits(0x00010000));  // subnormal
  EXPECT_TRUE(std::isnan(BF16ToF32(0x7fc0)));
  EXPECT_EQ(F32ToBF16(1.0f), 0x3f80);
  EXPECT_EQ(F32ToBF16(-0.0f), 0x8000);
  EXPECT_EQ(F32ToBF16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);      // tie -> even
  EXPECT_EQ(F32ToBF16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);  // tie -> even
  EXPECT_EQ(F32ToBF16(std::nextafter(1.0f + std::ldexp(1.0f, -8), 2.0f)), 0x3f81);
  EXPECT_EQ(F32ToBF16(std::numeric_limits<float>::max()), 0x7f80);  // rounds up to inf
  EXPECT_EQ(F32ToBF16(kInf), 0x7f80);
  EXPECT_EQ(F32ToBF16(-kInf), 0xff80);
  EXPECT_EQ(F32ToBF16(FromBits(0x00018000)), 0x0002);  // subnormal tie -> even
  for (uint32_t nan : {0x7fc00000u, 0x7f800001u, 0xff800001u, 0x7fffffffu}) {
    const uint16_t b = F32ToBF16(FromBits(nan));
    EXPECT_TRUE(std::isnan(BF16ToF32(b))) << std::hex << nan;  // never rounds into inf
    EXPECT_EQ(b & 0x8000, (nan >> 16) & 0x8000);
  }
}

TEST(BF16Test, MatchesReferenceRounding) {
  std::mt19937 rng(99);
  for (int i = 0; i < 2000000; ++i) {
    const float v = FromBits(static_cast<uint32_t>(rng()));
    if (std::isnan(v)) continue;
    ASSERT_EQ(F32ToBF16(v), ReferenceBF16(v)) << std::hex << Bits(v);
  }
  for (uint32_t b = 0; b <= 0xffff; ++b) {
    const float f = BF16ToF32(static_cast<uint16_t>(b));
    if (std::isnan(f)) continue;
    ASSERT_EQ(F32ToBF16(f), b);
  }
}

TEST(ConvertToF32Test, EveryDTypeFromUnalignedSource) {
  alignas(8) unsigned char buffer[64];
  unsigned char* src = buffer + 1;  // deliberately misaligned

  const float f32[2] = {1.5f, -2.0f};
  std::memcpy(src, f32, sizeof(f32));
  float out[2] = {0, 0};
  ConvertToF32(out, src, DType::kF32, 2);
  EXPECT_EQ(out[0], 1.5f);
  EXPECT_EQ(out[1], -2.0f);

  const uint16_t f16[2] = {0x3c00, 0xc100};
  std::memcpy(src, f16, sizeof(f16));
  ConvertToF32(out, src, DType::kF16, 2);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.5f);

  const uint16_t bf16[2] = {0x3f80, 0x4040};
  std::memcpy(src, bf16, sizeof(bf16));
  ConvertToF32(out, src, DType::kBF16, 2);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], 3.0f);

  const double f64[2] = {0.25, 1e300};
  std::memcpy(src, f64, sizeof(f64));
  ConvertToF32(out, src, DType::kF64, 2);
  EXPECT_EQ(out[0], 0.25f);
  EXPECT_EQ(out[1], kInf);

  const int64_t i64[2] = {-7, int64_t{1} << 40};
  std::memcpy(src, i64, sizeof(i64));
  ConvertToF32(out, src, DType::kI64, 2);
  EXPECT_EQ(out[0], -7.0f);
  EXPECT_EQ(out[1], std::ldexp(1.0f, 40));

  const int32_t i32[2] = {-100000, 16777216};
  std::memcpy(src, i32, sizeof(i32));
  ConvertToF32(out, src, DType::kI32, 2);
  EXPECT_EQ(out[0], -100000.0f);
  EXPECT_EQ(out[1], 16777216.0f);

  const uint8_t u8[2] = {0, 255};
  std::memcpy(src, u8, sizeof(u8));
  ConvertToF32(out, src, DType::kU8, 2);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(out[1], 255.0f);
}

}  // namespace
}  // namespace kiln
