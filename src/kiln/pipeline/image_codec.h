// Output image formats of the API: PNG (libpng), JPEG (libjpeg-turbo), WebP
// (libwebp). Input is 8-bit RGB (height, width, 3), row-major — what
// ImageTensorToRgb8 makes. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kiln/base/status.h"

namespace kiln {

enum class ImageFormat { kPng, kJpeg, kWebp };

// "png", "jpeg" (also "jpg"), "webp"; nullopt otherwise.
std::optional<ImageFormat> ParseImageFormat(std::string_view name);
std::string_view ImageFormatName(ImageFormat format);       // "png", "jpeg", "webp"
std::string_view ImageFormatExtension(ImageFormat format);  // ".png", ".jpg", ".webp"
std::string_view ImageFormatMimeType(ImageFormat format);   // "image/png", "image/jpeg", "image/webp"

// quality: 1..100 for jpeg and webp (lossy); ignored for png.
StatusOr<std::string> EncodeImage(ImageFormat format, const uint8_t* rgb, int width, int height,
                                  int quality = 90);

}  // namespace kiln
