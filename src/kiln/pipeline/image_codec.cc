#include "kiln/pipeline/image_codec.h"

#include <csetjmp>
#include <cstddef>
#include <cstdio>  // before jpeglib.h, which uses FILE and size_t without including them
#include <cstdlib>
#include <vector>

#include <jpeglib.h>
#include <webp/encode.h>

#include "kiln/base/logging.h"
#include "kiln/pipeline/png_writer.h"

namespace kiln {
namespace {

// The largest sides each format can store.
constexpr int kJpegMaxDimension = JPEG_MAX_DIMENSION;  // 65500
constexpr int kWebpMaxDimension = WEBP_MAX_DIMENSION;  // 16383

// Everything the libjpeg calls touch lives here, in the caller's frame: a
// libjpeg error longjmps back into EncodeJpegInto, and only memory reached
// through a pointer (not that frame's locals) is reliable after a longjmp.
struct JpegJob {
  jpeg_compress_struct cinfo;
  struct ErrorManager {
    jpeg_error_mgr base;  // first, so libjpeg's pointer to it is a pointer to us
    std::jmp_buf jump;
  } error;
  unsigned char* buffer = nullptr;  // malloc'd by jpeg_mem_dest; freed by the caller
  unsigned long size = 0;           // NOLINT(runtime/int): jpeg_mem_dest's type
  char message[JMSG_LENGTH_MAX] = {};
};

// libjpeg's default error_exit calls exit(); a server must survive a bad image.
[[noreturn]] void JpegErrorExit(j_common_ptr cinfo) {
  auto* error = reinterpret_cast<JpegJob::ErrorManager*>(cinfo->err);
  auto* job = static_cast<JpegJob*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, job->message);
  std::longjmp(error->jump, 1);
}

// libjpeg's default prints warnings to stderr; route them through the one log.
void JpegOutputMessage(j_common_ptr cinfo) {
  char message[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, message);
  KILN_LOG(kWarning) << "libjpeg: " << message;
}

// Returns false on a libjpeg error (job->message says which). No locals with
// destructors: the longjmp would skip them.
bool EncodeJpegInto(JpegJob* job, const uint8_t* rgb, int width, int height, int quality) {
  jpeg_compress_struct* cinfo = &job->cinfo;
  cinfo->err = jpeg_std_error(&job->error.base);
  job->error.base.error_exit = JpegErrorExit;
  job->error.base.output_message = JpegOutputMessage;
  if (setjmp(job->error.jump)) {
    jpeg_destroy_compress(cinfo);
    return false;
  }
  jpeg_create_compress(cinfo);
  cinfo->client_data = job;
  jpeg_mem_dest(cinfo, &job->buffer, &job->size);
  cinfo->image_width = static_cast<JDIMENSION>(width);
  cinfo->image_height = static_cast<JDIMENSION>(height);
  cinfo->input_components = 3;
  cinfo->in_color_space = JCS_RGB;
  jpeg_set_defaults(cinfo);
  jpeg_set_quality(cinfo, quality, TRUE);
  // Optimal Huffman tables: a few percent smaller for a second pass over
  // already-quantized data, cheap next to generating the image.
  cinfo->optimize_coding = TRUE;
  jpeg_start_compress(cinfo, TRUE);
  const size_t row_bytes = static_cast<size_t>(width) * 3;
  while (cinfo->next_scanline < cinfo->image_height) {
    // libjpeg's row pointer is non-const for historical reasons; it only reads.
    JSAMPROW row = const_cast<JSAMPROW>(rgb + static_cast<size_t>(cinfo->next_scanline) * row_bytes);
    jpeg_write_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_compress(cinfo);
  jpeg_destroy_compress(cinfo);
  return true;
}

StatusOr<std::string> EncodeJpeg(const uint8_t* rgb, int width, int height, int quality) {
  JpegJob job;
  const bool ok = EncodeJpegInto(&job, rgb, width, height, quality);
  std::string bytes;
  if (ok && job.buffer != nullptr) bytes.assign(reinterpret_cast<const char*>(job.buffer), job.size);
  // jpeg_mem_dest's buffer outlives jpeg_destroy_compress, error or not.
  std::free(job.buffer);
  if (!ok) return Status::Internal(std::string("JPEG encoding failed: ") + job.message);
  if (bytes.empty()) return Status::Internal("JPEG encoding produced no bytes");
  return bytes;
}

StatusOr<std::string> EncodeWebp(const uint8_t* rgb, int width, int height, int quality) {
  uint8_t* output = nullptr;
  const size_t size = WebPEncodeRGB(rgb, width, height, width * 3, static_cast<float>(quality), &output);
  std::string bytes;
  if (size > 0 && output != nullptr) bytes.assign(reinterpret_cast<const char*>(output), size);
  WebPFree(output);
  if (bytes.empty()) return Status::Internal("WebP encoding failed");
  return bytes;
}

StatusOr<std::string> EncodePngBytes(const uint8_t* rgb, int width, int height) {
  const std::vector<uint8_t> png = EncodePng(rgb, width, height);
  if (png.empty()) return Status::Internal("PNG encoding failed");
  return std::string(png.begin(), png.end());
}

int MaxDimension(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return kJpegMaxDimension;
    case ImageFormat::kWebp:
      return kWebpMaxDimension;
    case ImageFormat::kPng:
      break;
  }
  // PNG's limit (2^31 - 1) is beyond any int width; memory runs out first.
  return 0x7fffffff;
}

}  // namespace

std::optional<ImageFormat> ParseImageFormat(std::string_view name) {
  if (name == "png") return ImageFormat::kPng;
  if (name == "jpeg" || name == "jpg") return ImageFormat::kJpeg;
  if (name == "webp") return ImageFormat::kWebp;
  return std::nullopt;
}

std::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kWebp:
      return "webp";
  }
  return "unknown";
}

std::string_view ImageFormatExtension(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return ".png";
    case ImageFormat::kJpeg:
      return ".jpg";
    case ImageFormat::kWebp:
      return ".webp";
  }
  return "";
}

std::string_view ImageFormatMimeType(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "image/png";
    case ImageFormat::kJpeg:
      return "image/jpeg";
    case ImageFormat::kWebp:
      return "image/webp";
  }
  return "application/octet-stream";
}

StatusOr<std::string> EncodeImage(ImageFormat format, const uint8_t* rgb, int width, int height, int quality) {
  const std::string_view name = ImageFormatName(format);
  const int max_dimension = MaxDimension(format);
  if (width <= 0 || width > max_dimension) {
    return Status::InvalidArgument(std::string(name) + ": width " + std::to_string(width) + " is not in 1.." +
                                   std::to_string(max_dimension));
  }
  if (height <= 0 || height > max_dimension) {
    return Status::InvalidArgument(std::string(name) + ": height " + std::to_string(height) + " is not in 1.." +
                                   std::to_string(max_dimension));
  }
  if (rgb == nullptr) return Status::InvalidArgument(std::string(name) + ": rgb is null");
  if (format != ImageFormat::kPng && (quality < 1 || quality > 100)) {
    return Status::InvalidArgument(std::string(name) + ": quality " + std::to_string(quality) + " is not in 1..100");
  }
  switch (format) {
    case ImageFormat::kPng:
      return EncodePngBytes(rgb, width, height);
    case ImageFormat::kJpeg:
      return EncodeJpeg(rgb, width, height, quality);
    case ImageFormat::kWebp:
      return EncodeWebp(rgb, width, height, quality);
  }
  return Status::InvalidArgument("unknown image format");
}

}  // namespace kiln
