// DecodeImage: PNG, JPEG or WebP bytes (told apart by their signatures) to
// 8-bit RGB — the images a client sends to POST /v1/moderations and the
// results Kiln stored in the format each job asked for. Same limits and
// output as DecodePng (png_reader.h). Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "kiln/base/status.h"
#include "kiln/pipeline/png_reader.h"

namespace kiln {

// InvalidArgument naming label when the bytes are none of the three formats,
// are corrupt, or exceed kMaxPngSide / kMaxPngPixels.
StatusOr<RgbImage> DecodeImage(std::string_view bytes, const std::string& label = "image");

}  // namespace kiln
