#include "kiln/tensor/dtype.h"

#include <cmath>

namespace kiln {
namespace {
// The i-th T of p, which need not be aligned for T.
template <typename T>
T Load(const unsigned char* p, size_t i) {
  T v;
  std::memcpy(&v, p + i * sizeof(T), sizeof(T));
  return v;
}
}  // namespace

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kF16: return 2;
    case DType::kBF16: return 2;
    case DType::kF64: return 8;
    case DType::kI64: return 8;
    case DType::kI32: return 4;
    case DType::kU8: return 1;
  }
  return 0;
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kF64: return "F64";
    case DType::kI64: return "I64";
    case DType::kI32: return "I32";
    case DType::kU8: return "U8";
  }
  return "?";
}

bool ParseDType(std::string_view name, DType* out) {
  static constexpr DType kAll[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kF64,
                                   DType::kI64, DType::kI32, DType::kU8};
  for (DType d : kAll) {
    if (DTypeName(d) == name) {
      *out = d;
      return true;
    }
  }
  return false;
}

float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while ((mant & 0x400u) == 0) {
        mant <<= 1;
        --exp;
      }
      mant &= 0x3ffu;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}

uint16_t F32ToF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00u;                // NaN
  if (abs >= 0x477ff000u) return sign | 0x7c00u;               // overflow to inf
  if (abs < 0x38800000u) {                                     // subnormal or zero
    if (abs < 0x33000000u) return sign;                        // rounds to zero
    const uint32_t exp = abs >> 23;
    const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exp;                          // 14..24
    uint32_t half = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u))) ++half;
    return sign | static_cast<uint16_t>(half);
  }
  uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);        // round to nearest even
  return sign | static_cast<uint16_t>((rounded - (112u << 23)) >> 13);
}

void ConvertToF32(float* dst, const void* src, DType dtype, size_t count) {
  const auto* s = static_cast<const unsigned char*>(src);
  switch (dtype) {
    case DType::kF32:
      std::memcpy(dst, src, count * sizeof(float));
      return;
    // Checkpoint data need not be aligned, so elements are loaded with memcpy.
    case DType::kF16:
      for (size_t i = 0; i < count; ++i) dst[i] = F16ToF32(Load<uint16_t>(s, i));
      return;
    case DType::kBF16:
      for (size_t i = 0; i < count; ++i) dst[i] = BF16ToF32(Load<uint16_t>(s, i));
      return;
    case DType::kF64:
      for (size_t i = 0; i < count; ++i) dst[i] = static_cast<float>(Load<double>(s, i));
      return;
    case DType::kI64:
      for (size_t i = 0; i < count; ++i) dst[i] = static_cast<float>(Load<int64_t>(s, i));
      return;
    case DType::kI32:
      for (size_t i = 0; i < count; ++i) dst[i] = static_cast<float>(Load<int32_t>(s, i));
      return;
    case DType::kU8:
      for (size_t i = 0; i < count; ++i) dst[i] = static_cast<float>(s[i]);
      return;
  }
}

}  // namespace kiln
