// MappedFile: a whole file mapped read-only into memory, unmapped on destruction.
//
// The mapping is MAP_PRIVATE and PROT_READ, so the bytes cannot be written
// through it. If another process truncates the file while it is mapped, reads
// past the new end raise SIGBUS: checkpoints are treated as immutable while
// served. Thread-safe (immutable after Open).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "kiln/base/status.h"

namespace kiln {

class MappedFile {
 public:
  // NotFound when the file does not exist; Unavailable for other I/O errors;
  // InvalidArgument for a directory or other non-regular file.
  static StatusOr<std::shared_ptr<const MappedFile>> Open(const std::string& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // nullptr when size() == 0 (an empty file cannot be mapped).
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

  // Asks the kernel to read [offset, offset + length) ahead of use. A hint:
  // errors are ignored. REQUIRES: the range lies inside the file.
  void WillNeed(size_t offset, size_t length) const;

 private:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  const uint8_t* data_;
  size_t size_;
};

}  // namespace kiln
