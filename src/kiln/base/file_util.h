// Whole-file reads and writes with Status errors that name the path.
#pragma once

#include <string>

#include "kiln/base/status.h"

namespace kiln {

StatusOr<std::string> ReadFileToString(const std::string& path);
// Writes atomically: a temporary file beside path, then rename.
Status WriteStringToFile(const std::string& path, const std::string& contents);

}  // namespace kiln
