// PNG decoding (libpng) to 8-bit RGB (height, width, 3), row-major: the
// images moderation classifies. Palette and grey images are expanded, 16-bit
// channels reduced to 8, alpha dropped (not composited: nsfwjs's
// tf.browser.fromPixels keeps R, G, B as stored). No gamma or colour-profile
// conversion. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/base/status.h"

namespace kiln {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // (height, width, 3)
};

// Larger images are refused (InvalidArgument) before any pixel is decoded.
inline constexpr int kMaxPngSide = 16384;
inline constexpr int64_t kMaxPngPixels = int64_t{64} << 20;

// InvalidArgument (naming label) when data is not a decodable PNG.
StatusOr<RgbImage> DecodePng(const uint8_t* data, size_t size, const std::string& label = "png");
// ReadFileToString, then DecodePng.
StatusOr<RgbImage> ReadPng(const std::string& path);

}  // namespace kiln
