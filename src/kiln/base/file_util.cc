#include "kiln/base/file_util.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kiln {

StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return Status::IOError(path + ": read failed");
  return out.str();
}

Status WriteStringToFile(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IOError(tmp + ": cannot create (" + std::strerror(errno) + ")");
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out) return Status::IOError(tmp + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError(path + ": rename failed (" + std::strerror(errno) + ")");
  }
  return Status::Ok();
}

}  // namespace kiln
