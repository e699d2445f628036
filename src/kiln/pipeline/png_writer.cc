#include "kiln/pipeline/png_writer.h"

#include <fcntl.h>
#include <png.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>

namespace kiln {
namespace {

void AppendToVector(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}

void FlushNothing(png_structp) {}

// Returns false on a libpng error. libpng reports errors by longjmp, which
// skips destructors, so this frame holds only trivially destructible locals
// (the vector lives in the caller).
bool EncodeInto(std::vector<uint8_t>* out, const uint8_t* rgb, int width, int height) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return false;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, out, AppendToVector, FlushNothing);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t row_bytes = static_cast<size_t>(width) * 3;
  for (int y = 0; y < height; ++y) {
    // libpng's row pointer is non-const for historical reasons; it only reads.
    png_write_row(png, const_cast<png_bytep>(rgb + static_cast<size_t>(y) * row_bytes));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

Status WriteAll(int fd, const std::vector<uint8_t>& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError(path + ": write failed: " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

std::vector<uint8_t> EncodePng(const uint8_t* rgb, int width, int height) {
  std::vector<uint8_t> out;
  if (rgb == nullptr || width <= 0 || height <= 0) return out;
  if (!EncodeInto(&out, rgb, width, height)) out.clear();
  return out;
}

Status WritePng(const std::string& path, const uint8_t* rgb, int width, int height) {
  if (rgb == nullptr || width <= 0 || height <= 0) {
    return Status::InvalidArgument(path + ": cannot write a " + std::to_string(width) + "x" +
                                   std::to_string(height) + " PNG");
  }
  const std::vector<uint8_t> bytes = EncodePng(rgb, width, height);
  if (bytes.empty()) return Status::Internal(path + ": libpng failed to encode the image");

  std::string temp = path + ".XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return Status::IOError(path + ": cannot create a temporary file: " + std::strerror(errno));
  Status status = WriteAll(fd, bytes, temp);
  // mkstemp creates 0600; a PNG is an ordinary file for whoever serves it.
  if (status.ok() && ::fchmod(fd, 0644) != 0) {
    status = Status::IOError(temp + ": chmod failed: " + std::strerror(errno));
  }
  if (::close(fd) != 0 && status.ok()) {
    status = Status::IOError(temp + ": close failed: " + std::strerror(errno));
  }
  if (status.ok() && std::rename(temp.c_str(), path.c_str()) != 0) {
    status = Status::IOError(path + ": rename failed: " + std::strerror(errno));
  }
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

void ImageTensorToRgb8(const float* chw, int64_t height, int64_t width, uint8_t* rgb) {
  const int64_t plane = height * width;
  for (int64_t c = 0; c < 3; ++c) {
    const float* channel = chw + c * plane;
    for (int64_t i = 0; i < plane; ++i) {
      float x = channel[i];
      // torch's clamp keeps NaN, and NaN -> uint8 is undefined in C++: pin it to 0.
      if (std::isnan(x)) x = -1.0f;
      x = x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
      // Same f32 ops as torch: (x + 1.0) first, then * 127.5, then truncate.
      const float scaled = 127.5f * (x + 1.0f);
      rgb[i * 3 + c] = static_cast<uint8_t>(scaled);
    }
  }
}

}  // namespace kiln
