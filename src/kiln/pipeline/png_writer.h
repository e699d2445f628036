// PNG encoding of 8-bit RGB images (libpng), and the official FLUX
// tensor-to-pixels conversion that feeds it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/base/status.h"

namespace kiln {

// Encodes rgb (height, width, 3), row-major, 8 bits per channel, as a PNG
// (no interlace, default compression). Returns an empty vector when width or
// height is not positive or libpng fails. Thread-safe.
std::vector<uint8_t> EncodePng(const uint8_t* rgb, int width, int height);

// EncodePng, then writes the bytes to path atomically (a temporary file in
// the same directory, then rename), so readers never see half a PNG.
// InvalidArgument for a bad size; IOError when the file cannot be written.
Status WritePng(const std::string& path, const uint8_t* rgb, int width, int height);

// Pixels of an image tensor exactly as flux/cli.py makes them:
//   x = x.clamp(-1, 1); (127.5 * (x + 1.0)).byte()   (truncation, not rounding)
//   rgb (height, width, 3) from chw (3, height, width), f32 in [-1, 1]
// NaN maps to 0.
void ImageTensorToRgb8(const float* chw, int64_t height, int64_t width, uint8_t* rgb);

}  // namespace kiln
