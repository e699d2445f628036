// BlobStore: image bytes by key, on the local filesystem (./var/blobs) in the
// embedded default; a shared volume or S3-compatible store later.
// Keys are "<tenant>/<job id>.<ext>"-like relative paths of [A-Za-z0-9._-/]
// (no "..", no leading "/"); anything else is InvalidArgument.
// Writes are atomic (temporary file + rename). Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "kiln/base/status.h"

namespace kiln {

class BlobStore {
 public:
  // Creates root (and parents) when missing.
  static StatusOr<BlobStore> Open(const std::string& root);

  Status Put(std::string_view key, std::string_view bytes);
  // NotFound when absent.
  StatusOr<std::string> Get(std::string_view key) const;
  // NotFound when absent.
  Status Delete(std::string_view key);

 private:
  explicit BlobStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace kiln
