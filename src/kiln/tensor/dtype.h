// Element types of tensors and checkpoints, and their conversions to f32.
// On CPU every dtype is computed in f32: f16/bf16 weights are widened once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace kiln {

enum class DType {
  kF32,   // IEEE binary32
  kF16,   // IEEE binary16
  kBF16,  // bfloat16: the top half of a binary32
  kF64,   // IEEE binary64 (reference outputs only)
  kI64,   // int64 (ids, counters)
  kI32,
  kU8,    // bytes (images)
};

// Bytes per element.
size_t DTypeSize(DType dtype);
// Safetensors spelling: "F32", "F16", "BF16", "F64", "I64", "I32", "U8".
std::string_view DTypeName(DType dtype);
// Parses the safetensors spelling; false for an unknown name.
bool ParseDType(std::string_view name, DType* out);

inline float BF16ToF32(uint16_t bits) {
  const uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float out;
  std::memcpy(&out, &wide, sizeof(out));
  return out;
}

// Round to nearest even; NaN stays NaN.
inline uint16_t F32ToBF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

float F16ToF32(uint16_t bits);
uint16_t F32ToF16(float value);

// Converts count elements of src (of dtype) into dst as f32: exact for f16,
// bf16 and integers up to 2^24; f64 and larger integers round to nearest.
// src need not be aligned.
void ConvertToF32(float* dst, const void* src, DType dtype, size_t count);

}  // namespace kiln
