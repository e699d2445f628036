#include "kiln/pipeline/png_reader.h"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "kiln/base/file_util.h"

namespace kiln {
namespace {

struct MemoryReader {
  const uint8_t* data;
  size_t size;
  size_t offset;
};

void ReadFromMemory(png_structp png, png_bytep out, png_size_t length) {
  auto* reader = static_cast<MemoryReader*>(png_get_io_ptr(png));
  if (length > reader->size - reader->offset) png_error(png, "truncated PNG");
  std::memcpy(out, reader->data + reader->offset, length);
  reader->offset += length;
}

// libpng's message, kept for the Status (the error callback longjmps out).
void RecordError(png_structp png, png_const_charp message) {
  auto* error = static_cast<char*>(png_get_error_ptr(png));
  std::snprintf(error, 128, "%s", message);
  png_longjmp(png, 1);
}

void IgnoreWarning(png_structp, png_const_charp) {}

// Returns false on a libpng error (message in error[128]). libpng reports
// errors by longjmp, which skips destructors: this frame holds only trivially
// destructible locals, and the image's vector is sized before the jump point.
bool DecodeInto(RgbImage* image, MemoryReader* reader, char* error) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, error, RecordError, IgnoreWarning);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, reader, ReadFromMemory);
  png_set_user_limits(png, kMaxPngSide, kMaxPngSide);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
  if (static_cast<int64_t>(width) * height > kMaxPngPixels) png_error(png, "image has too many pixels");
  const int color = png_get_color_type(png, info);
  // To 8-bit RGB: palette → RGB, grey → RGB, tRNS → alpha then dropped, 16 → 8 bits.
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_strip_alpha(png);
  if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != static_cast<size_t>(width) * 3) png_error(png, "unexpected row layout");
  image->width = static_cast<int>(width);
  image->height = static_cast<int>(height);
  image->pixels.resize(static_cast<size_t>(width) * height * 3);
  // Row by row (each pass for interlaced files): no row-pointer array to free on a longjmp.
  for (int pass = 0; pass < passes; ++pass) {
    for (png_uint_32 y = 0; y < height; ++y) {
      png_read_row(png, image->pixels.data() + static_cast<size_t>(y) * width * 3, nullptr);
    }
  }
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

}  // namespace

StatusOr<RgbImage> DecodePng(const uint8_t* data, size_t size, const std::string& label) {
  if (size < 8 || png_sig_cmp(data, 0, 8) != 0) return Status::InvalidArgument(label + ": not a PNG file");
  RgbImage image;
  MemoryReader reader{data, size, 0};
  char error[128] = "libpng failed";
  if (!DecodeInto(&image, &reader, error)) return Status::InvalidArgument(label + ": " + error);
  return image;
}

StatusOr<RgbImage> ReadPng(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return DecodePng(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
}

}  // namespace kiln
