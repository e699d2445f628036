// libFuzzer target: DecodeImage (PNG, JPEG and WebP through libpng,
// libjpeg-turbo and libwebp) must turn any bytes a client sends to POST
// /v1/moderations or the admin API into an image or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kiln/pipeline/image_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kiln::StatusOr<kiln::RgbImage> image =
      kiln::DecodeImage(std::string_view(reinterpret_cast<const char*>(data), size));
  if (image.ok() && image->pixels.size() != static_cast<size_t>(image->width) * image->height * 3) __builtin_trap();
  return 0;
}
