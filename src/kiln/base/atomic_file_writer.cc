#include "kiln/base/atomic_file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace kiln {
namespace {
std::atomic<uint64_t> g_temp_counter{0};
}  // namespace

StatusOr<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Create(const std::string& path) {
  // Unique per process and per call; O_EXCL turns any remaining clash (a
  // stale file from a crashed process with the same pid) into a retry.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string temp = path + ".tmp." + std::to_string(::getpid()) + "." +
                             std::to_string(g_temp_counter.fetch_add(1));
    // 0666 so the umask decides the final permissions, as for any new file.
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return std::unique_ptr<AtomicFileWriter>(new AtomicFileWriter(path, temp, fd));
    if (errno != EEXIST) return ErrnoToStatus(errno, "cannot create " + temp);
  }
  return Status::IOError("cannot create a temporary file beside " + path);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

Status AtomicFileWriter::Fail(const std::string& what, int err) {
  Status status = ErrnoToStatus(err, what + " " + temp_path_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  return status;
}

Status AtomicFileWriter::Append(const void* data, size_t size) {
  if (fd_ < 0) return Status::FailedPrecondition("write to closed file " + temp_path_);
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail("cannot write", errno);
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return Status::FailedPrecondition("commit of closed file " + temp_path_);
  // Without the fsync a crash after the rename can leave an empty file at path.
  if (::fsync(fd_) != 0) return Fail("cannot fsync", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return ErrnoToStatus(errno, "cannot close " + temp_path_);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) return ErrnoToStatus(errno, "cannot rename " + temp_path_ + " to " + path_);
  committed_ = true;
  return Status::Ok();
}

}  // namespace kiln
