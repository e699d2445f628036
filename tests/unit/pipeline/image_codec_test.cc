#include "kiln/pipeline/image_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>  // before jpeglib.h, which uses FILE without including it
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>

namespace kiln {
namespace {

constexpr int kWidth = 64;
constexpr int kHeight = 48;

struct Decoded {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
};

// A smooth gradient: what lossy codecs reproduce well, so tolerances can be tight.
std::vector<uint8_t> Gradient(int width, int height) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* pixel = &rgb[(static_cast<size_t>(y) * width + x) * 3];
      pixel[0] = static_cast<uint8_t>(x * 255 / (width - 1));
      pixel[1] = static_cast<uint8_t>(y * 255 / (height - 1));
      pixel[2] = static_cast<uint8_t>(128 + (x - y) / 2);
    }
  }
  return rgb;
}

Decoded DecodeJpeg(const std::string& bytes) {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr error;
  cinfo.err = jpeg_std_error(&error);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  Decoded out;
  out.width = static_cast<int>(cinfo.output_width);
  out.height = static_cast<int>(cinfo.output_height);
  out.rgb.resize(static_cast<size_t>(out.width) * out.height * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = &out.rgb[static_cast<size_t>(cinfo.output_scanline) * out.width * 3];
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return out;
}

Decoded DecodeWebp(const std::string& bytes) {
  Decoded out;
  uint8_t* rgb = WebPDecodeRGB(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &out.width,
                               &out.height);
  if (rgb == nullptr) return out;
  out.rgb.assign(rgb, rgb + static_cast<size_t>(out.width) * out.height * 3);
  WebPFree(rgb);
  return out;
}

Decoded DecodePng(const std::string& bytes) {
  Decoded out;
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) return out;
  image.format = PNG_FORMAT_RGB;
  out.rgb.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgb.data(), 0, nullptr)) return {};
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  return out;
}

// Mean and max absolute difference per channel value.
void ExpectClose(const std::vector<uint8_t>& expected, const std::vector<uint8_t>& actual, double max_mean_error,
                 int max_error) {
  ASSERT_EQ(expected.size(), actual.size());
  double total = 0;
  int worst = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const int difference = std::abs(static_cast<int>(expected[i]) - static_cast<int>(actual[i]));
    total += difference;
    worst = std::max(worst, difference);
  }
  EXPECT_LE(total / static_cast<double>(expected.size()), max_mean_error);
  EXPECT_LE(worst, max_error);
}

TEST(ImageCodecTest, ParsesAndNamesFormats) {
  EXPECT_EQ(ParseImageFormat("png"), ImageFormat::kPng);
  EXPECT_EQ(ParseImageFormat("jpeg"), ImageFormat::kJpeg);
  EXPECT_EQ(ParseImageFormat("jpg"), ImageFormat::kJpeg);
  EXPECT_EQ(ParseImageFormat("webp"), ImageFormat::kWebp);
  EXPECT_EQ(ParseImageFormat("gif"), std::nullopt);
  EXPECT_EQ(ParseImageFormat(""), std::nullopt);
  EXPECT_EQ(ParseImageFormat("PNG"), std::nullopt);

  EXPECT_EQ(ImageFormatName(ImageFormat::kPng), "png");
  EXPECT_EQ(ImageFormatName(ImageFormat::kJpeg), "jpeg");
  EXPECT_EQ(ImageFormatName(ImageFormat::kWebp), "webp");
  EXPECT_EQ(ImageFormatExtension(ImageFormat::kPng), ".png");
  EXPECT_EQ(ImageFormatExtension(ImageFormat::kJpeg), ".jpg");
  EXPECT_EQ(ImageFormatExtension(ImageFormat::kWebp), ".webp");
  EXPECT_EQ(ImageFormatMimeType(ImageFormat::kPng), "image/png");
  EXPECT_EQ(ImageFormatMimeType(ImageFormat::kJpeg), "image/jpeg");
  EXPECT_EQ(ImageFormatMimeType(ImageFormat::kWebp), "image/webp");
  for (ImageFormat format : {ImageFormat::kPng, ImageFormat::kJpeg, ImageFormat::kWebp}) {
    EXPECT_EQ(ParseImageFormat(ImageFormatName(format)), format);
  }
}

TEST(ImageCodecTest, PngIsExact) {
  const std::vector<uint8_t> rgb = Gradient(kWidth, kHeight);
  const StatusOr<std::string> png = EncodeImage(ImageFormat::kPng, rgb.data(), kWidth, kHeight);
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  ASSERT_GE(png->size(), 8u);
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  const Decoded decoded = DecodePng(*png);
  EXPECT_EQ(decoded.width, kWidth);
  EXPECT_EQ(decoded.height, kHeight);
  EXPECT_EQ(decoded.rgb, rgb);
}

TEST(ImageCodecTest, JpegDecodesCloseToTheInput) {
  const std::vector<uint8_t> rgb = Gradient(kWidth, kHeight);
  const StatusOr<std::string> jpeg = EncodeImage(ImageFormat::kJpeg, rgb.data(), kWidth, kHeight, 95);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().ToString();
  ASSERT_GE(jpeg->size(), 4u);
  EXPECT_EQ(jpeg->substr(0, 3), "\xff\xd8\xff");
  EXPECT_EQ(jpeg->substr(jpeg->size() - 2), "\xff\xd9");  // end of image
  const Decoded decoded = DecodeJpeg(*jpeg);
  EXPECT_EQ(decoded.width, kWidth);
  EXPECT_EQ(decoded.height, kHeight);
  ExpectClose(rgb, decoded.rgb, 2.0, 16);
}

TEST(ImageCodecTest, JpegQualityChangesTheSize) {
  const std::vector<uint8_t> rgb = Gradient(kWidth, kHeight);
  const StatusOr<std::string> low = EncodeImage(ImageFormat::kJpeg, rgb.data(), kWidth, kHeight, 10);
  const StatusOr<std::string> high = EncodeImage(ImageFormat::kJpeg, rgb.data(), kWidth, kHeight, 100);
  ASSERT_TRUE(low.ok() && high.ok());
  EXPECT_LT(low->size(), high->size());
}

TEST(ImageCodecTest, WebpDecodesCloseToTheInput) {
  const std::vector<uint8_t> rgb = Gradient(kWidth, kHeight);
  const StatusOr<std::string> webp = EncodeImage(ImageFormat::kWebp, rgb.data(), kWidth, kHeight, 95);
  ASSERT_TRUE(webp.ok()) << webp.status().ToString();
  ASSERT_GE(webp->size(), 12u);
  EXPECT_EQ(webp->substr(0, 4), "RIFF");
  EXPECT_EQ(webp->substr(8, 4), "WEBP");
  const Decoded decoded = DecodeWebp(*webp);
  EXPECT_EQ(decoded.width, kWidth);
  EXPECT_EQ(decoded.height, kHeight);
  ExpectClose(rgb, decoded.rgb, 3.0, 24);
}

TEST(ImageCodecTest, EncodesOnePixelAndOddSizes) {
  for (const auto& [width, height] : {std::pair{1, 1}, std::pair{3, 7}, std::pair{17, 2}}) {
    const std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3, 200);
    for (ImageFormat format : {ImageFormat::kPng, ImageFormat::kJpeg, ImageFormat::kWebp}) {
      const StatusOr<std::string> bytes = EncodeImage(format, rgb.data(), width, height);
      ASSERT_TRUE(bytes.ok()) << ImageFormatName(format) << " " << width << "x" << height << ": "
                              << bytes.status().ToString();
      EXPECT_FALSE(bytes->empty());
    }
  }
}

TEST(ImageCodecTest, RejectsBadArgumentsNamingTheField) {
  const std::vector<uint8_t> rgb = Gradient(8, 8);
  struct Case {
    ImageFormat format;
    int width, height, quality;
    const char* field;
  };
  const Case cases[] = {
      {ImageFormat::kPng, 0, 8, 90, "width"},        {ImageFormat::kPng, 8, -1, 90, "height"},
      {ImageFormat::kJpeg, -5, 8, 90, "width"},      {ImageFormat::kJpeg, 8, 0, 90, "height"},
      {ImageFormat::kJpeg, 8, 8, 0, "quality"},      {ImageFormat::kJpeg, 8, 8, 101, "quality"},
      {ImageFormat::kWebp, 8, 8, -1, "quality"},     {ImageFormat::kWebp, 8, 8, 1000, "quality"},
      {ImageFormat::kWebp, 20000, 8, 90, "width"},   {ImageFormat::kWebp, 8, 16384, 90, "height"},
      {ImageFormat::kJpeg, 70000, 8, 90, "width"},
  };
  for (const Case& c : cases) {
    const StatusOr<std::string> result = EncodeImage(c.format, rgb.data(), c.width, c.height, c.quality);
    ASSERT_FALSE(result.ok()) << ImageFormatName(c.format) << " " << c.width << "x" << c.height << " q" << c.quality;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(result.status().message().find(c.field), std::string::npos) << result.status().message();
  }
  const StatusOr<std::string> null_pixels = EncodeImage(ImageFormat::kPng, nullptr, 8, 8);
  EXPECT_EQ(null_pixels.status().code(), StatusCode::kInvalidArgument);
  // PNG is lossless: quality does not apply, so any value is accepted.
  EXPECT_TRUE(EncodeImage(ImageFormat::kPng, rgb.data(), 8, 8, 0).ok());
}

}  // namespace
}  // namespace kiln
