// libFuzzer target: arbitrary bytes as a safetensors file.
//
// Whatever the input, FromBuffer must return a Status or a file whose every
// tensor lies inside the buffer; ASan/UBSan catch any read out of bounds.
//
// Each input is tried twice: as a whole file, and as "header JSON, NUL byte,
// data" with the 8-byte length prefix computed here. The first reaches the
// length checks; the second lets mutations that grow or shrink the JSON reach
// the header validation without also having to fix up the prefix.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "kiln/checkpoint/safetensors.h"

namespace {

// Reads the first and last byte so ASan checks both ends of the range.
uint32_t Touch(const kiln::Tensor& t) {
  if (t.nbytes() == 0) return 0;
  const auto* p = static_cast<const uint8_t*>(t.data());
  return p[0] + p[t.nbytes() - 1];
}

void CheckFile(const std::string& bytes) {
  // A heap copy of exactly the file's size, so a read one past the end is caught.
  const size_t size = bytes.size();
  std::shared_ptr<uint8_t[]> copy(new uint8_t[size]);
  if (size > 0) std::memcpy(copy.get(), bytes.data(), size);
  auto file = kiln::SafetensorsFile::FromBuffer(copy, copy.get(), size, "fuzz");
  if (!file.ok()) return;

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
}

std::string WithLengthPrefix(const uint8_t* data, size_t size) {
  const auto* nul = static_cast<const uint8_t*>(std::memchr(data, 0, size));
  const size_t header = nul == nullptr ? size : static_cast<size_t>(nul - data);
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(static_cast<uint64_t>(header) >> (8 * i));
  bytes.append(reinterpret_cast<const char*>(data), header);
  if (nul != nullptr) bytes.append(reinterpret_cast<const char*>(nul + 1), size - header - 1);
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckFile(std::string(reinterpret_cast<const char*>(data), size));
  CheckFile(WithLengthPrefix(data, size));
  return 0;
}
