#include "kiln/pipeline/image_decoder.h"

#include <csetjmp>
#include <cstddef>
#include <memory>
#include <cstdio>  // before jpeglib.h, which uses FILE and size_t without including them

#include <jpeglib.h>
#include <webp/decode.h>

namespace kiln {
namespace {

bool StartsWith(std::string_view bytes, std::string_view magic) { return bytes.substr(0, magic.size()) == magic; }

Status CheckSize(int width, int height, const std::string& label) {
  if (width < 1 || height < 1 || width > kMaxPngSide || height > kMaxPngSide ||
      int64_t{width} * height > kMaxPngPixels) {
    return Status::InvalidArgument(label + ": " + std::to_string(width) + "x" + std::to_string(height) +
                                   " is outside the sizes Kiln decodes (at most " + std::to_string(kMaxPngSide) +
                                   " per side)");
  }
  return Status::Ok();
}

// As in image_codec.cc: every libjpeg object lives behind a pointer, because
// a libjpeg error longjmps back to DecodeJpegInto.
struct JpegDecodeJob {
  jpeg_decompress_struct cinfo;
  struct ErrorManager {
    jpeg_error_mgr base;  // first, so libjpeg's pointer to it is a pointer to us
    std::jmp_buf jump;
  } error;
  char message[JMSG_LENGTH_MAX] = {};
  RgbImage* out = nullptr;
  bool too_large = false;
};

[[noreturn]] void JpegDecodeErrorExit(j_common_ptr cinfo) {
  auto* error = reinterpret_cast<JpegDecodeJob::ErrorManager*>(cinfo->err);
  auto* job = static_cast<JpegDecodeJob*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, job->message);
  std::longjmp(error->jump, 1);
}

// Corrupt-data warnings would flood the log from a hostile client; the image is refused or used as decoded.
void JpegIgnoreMessage(j_common_ptr) {}

// False on a libjpeg error (job->message) or a refused size (job->too_large).
// No locals with destructors: the longjmp would skip them.
bool DecodeJpegInto(JpegDecodeJob* job, const uint8_t* data, size_t size) {
  jpeg_decompress_struct* cinfo = &job->cinfo;
  cinfo->err = jpeg_std_error(&job->error.base);
  job->error.base.error_exit = JpegDecodeErrorExit;
  job->error.base.output_message = JpegIgnoreMessage;
  if (setjmp(job->error.jump)) {
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  jpeg_create_decompress(cinfo);
  cinfo->client_data = job;
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));  // NOLINT(runtime/int)
  jpeg_read_header(cinfo, TRUE);
  cinfo->out_color_space = JCS_RGB;
  const int64_t width = cinfo->image_width, height = cinfo->image_height;
  if (width > kMaxPngSide || height > kMaxPngSide || width * height > kMaxPngPixels) {
    job->too_large = true;
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  jpeg_start_decompress(cinfo);
  job->out->width = static_cast<int>(cinfo->output_width);
  job->out->height = static_cast<int>(cinfo->output_height);
  job->out->pixels.resize(static_cast<size_t>(cinfo->output_width) * cinfo->output_height * 3);
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = job->out->pixels.data() + static_cast<size_t>(cinfo->output_scanline) * cinfo->output_width * 3;
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_decompress(cinfo);
  jpeg_destroy_decompress(cinfo);
  return true;
}

StatusOr<RgbImage> DecodeJpeg(std::string_view bytes, const std::string& label) {
  RgbImage image;
  auto job = std::make_unique<JpegDecodeJob>();
  job->out = &image;
  if (!DecodeJpegInto(job.get(), reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())) {
    if (job->too_large) return Status::InvalidArgument(label + ": the JPEG is larger than Kiln decodes");
    return Status::InvalidArgument(label + ": not a decodable JPEG (" + job->message + ")");
  }
  return image;
}

StatusOr<RgbImage> DecodeWebp(std::string_view bytes, const std::string& label) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  int width = 0, height = 0;
  if (!WebPGetInfo(data, bytes.size(), &width, &height)) {
    return Status::InvalidArgument(label + ": not a decodable WebP image");
  }
  KILN_RETURN_IF_ERROR(CheckSize(width, height, label));
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  if (WebPDecodeRGBInto(data, bytes.size(), image.pixels.data(), image.pixels.size(), width * 3) == nullptr) {
    return Status::InvalidArgument(label + ": not a decodable WebP image");
  }
  return image;
}

}  // namespace

StatusOr<RgbImage> DecodeImage(std::string_view bytes, const std::string& label) {
  if (StartsWith(bytes, "\x89PNG\r\n\x1a\n")) {
    return DecodePng(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), label);
  }
  if (StartsWith(bytes, "\xff\xd8\xff")) return DecodeJpeg(bytes, label);
  if (StartsWith(bytes, "RIFF") && bytes.size() >= 12 && bytes.substr(8, 4) == "WEBP") return DecodeWebp(bytes, label);
  return Status::InvalidArgument(label + ": not a PNG, JPEG or WebP image");
}

}  // namespace kiln
