// Files served as they are — the playground page and its script, the OpenAPI
// document — compiled into the binary from web/ (CMake generates
// static_files_data.cc), so `kiln serve` needs nothing beside it at run time.
#pragma once

#include <string_view>

namespace kiln {

struct StaticFile {
  std::string_view path;          // "/index.html", "/playground.js", "/openapi.json"
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;
};

// The file at a URL path ("/" is "/index.html"); nullptr when there is none.
const StaticFile* FindStaticFile(std::string_view path);

}  // namespace kiln
