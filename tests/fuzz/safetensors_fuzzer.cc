// libFuzzer target: arbitrary bytes as a safetensors file.
//
// Whatever the input, FromBuffer must return a Status or a file whose every
// tensor lies inside the buffer; ASan/UBSan catch any read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "kiln/checkpoint/safetensors.h"

namespace {

// Reads the first and last byte so ASan checks both ends of the range.
uint32_t Touch(const kiln::Tensor& t) {
  if (t.nbytes() == 0) return 0;
  const auto* p = static_cast<const uint8_t*>(t.data());
  return p[0] + p[t.nbytes() - 1];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A heap copy of exactly size bytes, so a read one past the end is caught.
  std::shared_ptr<uint8_t[]> copy(new uint8_t[size]);
  if (size > 0) std::memcpy(copy.get(), data, size);
  auto file = kiln::SafetensorsFile::FromBuffer(copy, copy.get(), size, "fuzz");
  if (!file.ok()) return 0;

  volatile uint32_t sink = 0;
  const std::string* previous = nullptr;
  for (const kiln::TensorEntry& entry : (*file)->entries()) {
    if (previous != nullptr && !(*previous < entry.name)) __builtin_trap();  // sorted, unique
    previous = &entry.name;

    auto stored = (*file)->Get(entry.name);
    if (!stored.ok()) __builtin_trap();
    const auto* begin = static_cast<const uint8_t*>(stored->data());
    if (begin < copy.get() || begin + stored->nbytes() > copy.get() + size) __builtin_trap();
    sink = sink + Touch(*stored);

    auto widened = (*file)->GetF32(entry.name);
    if (!widened.ok() || widened->numel() != stored->numel()) __builtin_trap();
    sink = sink + Touch(*widened);
  }
  for (const auto& [key, value] : (*file)->metadata()) sink = sink + static_cast<uint32_t>(key.size() + value.size());
  return 0;
}
