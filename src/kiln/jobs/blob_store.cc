#include "kiln/jobs/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "kiln/base/atomic_file_writer.h"
#include "kiln/base/file_util.h"

namespace kiln {
namespace {

// Keys come from job ids and tenants, but a key is also a path under root:
// anything that could leave root or name something odd is refused.
Status ValidateKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("a blob key must not be empty");
  if (key.size() > 1024) return Status::InvalidArgument("a blob key is at most 1024 characters");
  if (key.front() == '/') return Status::InvalidArgument("blob key '" + std::string(key) + "' must be relative");
  for (const char c : key) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-' || c == '/';
    if (!ok) return Status::InvalidArgument("blob key '" + std::string(key) + "' has a character outside [A-Za-z0-9._/-]");
  }
  // Each segment between slashes: not empty, not "." or "..".
  size_t start = 0;
  for (;;) {
    const size_t end = std::min(key.find('/', start), key.size());
    const std::string_view segment = key.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return Status::InvalidArgument("blob key '" + std::string(key) + "' has an empty, '.' or '..' path segment");
    }
    if (end == key.size()) return Status::Ok();
    start = end + 1;
  }
}

// The rename of an atomic write is durable only once its directory is synced.
Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "cannot open directory " + dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoToStatus(err, "cannot fsync directory " + dir);
  return Status::Ok();
}

}  // namespace

StatusOr<BlobStore> BlobStore::Open(const std::string& root) {
  if (root.empty()) return Status::InvalidArgument("the blob store needs a root directory");
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) return Status::IOError("cannot create blob directory " + root + ": " + ec.message());
  if (!std::filesystem::is_directory(root, ec)) return Status::FailedPrecondition(root + " is not a directory");
  return BlobStore(root);
}

Status BlobStore::Put(std::string_view key, std::string_view bytes) {
  KILN_RETURN_IF_ERROR(ValidateKey(key));
  const std::filesystem::path path = std::filesystem::path(root_) / std::string(key);
  const std::string dir = path.parent_path().string();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create blob directory " + dir + ": " + ec.message());
  KILN_ASSIGN_OR_RETURN(auto writer, AtomicFileWriter::Create(path.string()));
  KILN_RETURN_IF_ERROR(writer->Append(bytes));
  KILN_RETURN_IF_ERROR(writer->Commit());
  return SyncDirectory(dir);
}

StatusOr<std::string> BlobStore::Get(std::string_view key) const {
  KILN_RETURN_IF_ERROR(ValidateKey(key));
  const std::string path = root_ + "/" + std::string(key);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return Status::NotFound("no blob " + std::string(key));
  return ReadFileToString(path);
}

Status BlobStore::Delete(std::string_view key) {
  KILN_RETURN_IF_ERROR(ValidateKey(key));
  const std::string path = root_ + "/" + std::string(key);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return Status::NotFound("no blob " + std::string(key));
    return ErrnoToStatus(errno, "cannot delete blob " + path);
  }
  return Status::Ok();
}

}  // namespace kiln
