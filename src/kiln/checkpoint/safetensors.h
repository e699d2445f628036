// Safetensors reading (memory-mapped, zero-copy) and writing.
//
// Format: an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {"key": "string", ...}}, then the data. Open() validates
// everything before any tensor is handed out: JSON syntax, known dtypes,
// shape × dtype size equal to the byte range, ranges inside the file and not
// overlapping, and the header size bound. Errors name the file, the tensor
// and the problem: DataLoss when the bytes present disagree with the header
// (a truncated file), InvalidArgument when the header is malformed; Open adds
// the filesystem's NotFound / PermissionDenied / Unavailable. Unknown keys
// inside an entry are ignored, as the reference implementation does.
//
// A SafetensorsFile is immutable after Open and safe to share between
// threads. Tensors it returns keep the mapping alive on their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

// Headers above this are refused (the official FLUX.1 checkpoints need ~100 KiB).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100ull << 20;

struct TensorEntry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin = 0;  // byte offsets into the data section
  uint64_t end = 0;
};

class SafetensorsFile {
 public:
  // Maps the file read-only and validates it; the path is the label.
  static StatusOr<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);
  // Validates bytes already in memory; keepalive owns them. label names the
  // source in error messages. (Used by Open, the tests and the fuzzer.)
  static StatusOr<std::unique_ptr<SafetensorsFile>> FromBuffer(std::shared_ptr<const void> keepalive,
                                                               const uint8_t* data, size_t size,
                                                               std::string label);

  const std::string& label() const { return label_; }
  // The "__metadata__" string map (empty when absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Entries sorted by name.
  const std::vector<TensorEntry>& entries() const { return entries_; }
  bool Contains(const std::string& name) const;
  // nullptr when absent.
  const TensorEntry* Find(const std::string& name) const;

  // Zero-copy view in the stored dtype (NotFound when absent).
  StatusOr<Tensor> Get(const std::string& name) const;
  // f32: a zero-copy view when stored as aligned F32, else a converted copy
  // (ConvertToF32: f16/bf16 exactly, f64 and integers rounded).
  StatusOr<Tensor> GetF32(const std::string& name) const;

 private:
  SafetensorsFile() = default;

  std::string label_;
  std::shared_ptr<const void> keepalive_;
  const uint8_t* data_section_ = nullptr;
  std::map<std::string, std::string> metadata_;
  std::vector<TensorEntry> entries_;
};

// Writes tensors (in the given order) and string metadata to path, atomically
// (temp file + rename). Every tensor must be non-empty storage or a 0-element tensor.
Status WriteSafetensors(const std::string& path,
                        const std::vector<std::pair<std::string, Tensor>>& tensors,
                        const std::map<std::string, std::string>& metadata = {});

}  // namespace kiln
