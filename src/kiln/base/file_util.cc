#include "kiln/base/file_util.h"

#include "kiln/base/atomic_file_writer.h"

#include <cerrno>
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
  KILN_ASSIGN_OR_RETURN(auto writer, AtomicFileWriter::Create(path));
  KILN_RETURN_IF_ERROR(writer->Append(contents));
  return writer->Commit();
}

}  // namespace kiln
