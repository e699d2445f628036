// AtomicFileWriter: writes a file so that readers see either the old file (or
// none) or the complete new one, never a partial write.
//
// Bytes go to a temporary file beside path (same directory, so the final
// rename stays on one filesystem); Commit() flushes it to disk and renames it
// over path. A writer destroyed without a successful Commit removes its
// temporary file. Not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "kiln/base/status.h"

namespace kiln {

class AtomicFileWriter {
 public:
  static StatusOr<std::unique_ptr<AtomicFileWriter>> Create(const std::string& path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // REQUIRES: Commit() not called yet.
  Status Append(const void* data, size_t size);
  Status Append(std::string_view bytes) { return Append(bytes.data(), bytes.size()); }
  // Flushes, closes and renames into place. REQUIRES: called at most once.
  Status Commit();

 private:
  AtomicFileWriter(std::string path, std::string temp_path, int fd)
      : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {}
  Status Fail(const std::string& what, int err);

  const std::string path_;
  const std::string temp_path_;
  int fd_;  // -1 once closed
  bool committed_ = false;
};

}  // namespace kiln
