// Parsing and validation of a safetensors JSON header (the bytes between the
// 8-byte length prefix and the data section). Private to checkpoint/.
//
// Error codes: DataLoss when the header disagrees with the bytes actually
// present (a tensor runs past the data section, as in a truncated download);
// InvalidArgument when the header itself is malformed or inconsistent.
// Every message starts with the label and names the tensor at fault.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/checkpoint/safetensors.h"

namespace kiln {

struct SafetensorsHeader {
  std::vector<TensorEntry> entries;  // sorted by name
  std::map<std::string, std::string> metadata;
};

// json: the header text; data_size: bytes in the data section that follows it.
StatusOr<SafetensorsHeader> ParseSafetensorsHeader(std::string_view json, uint64_t data_size,
                                                   const std::string& label);

// 'name', with control bytes escaped and very long names shortened, for messages.
std::string QuoteName(std::string_view name);

}  // namespace kiln
