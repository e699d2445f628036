#include "kiln/pipeline/image_decoder.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "kiln/pipeline/image_codec.h"

namespace kiln {
namespace {

std::vector<uint8_t> Gradient(int w, int h) {
  std::vector<uint8_t> rgb(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &rgb[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<uint8_t>(x * 4);
      p[1] = static_cast<uint8_t>(y * 4);
      p[2] = 128;
    }
  }
  return rgb;
}

TEST(ImageDecoderTest, DecodesWhatKilnEncodesInEveryFormat) {
  const int w = 48, h = 32;
  const std::vector<uint8_t> rgb = Gradient(w, h);
  for (ImageFormat format : {ImageFormat::kPng, ImageFormat::kJpeg, ImageFormat::kWebp}) {
    StatusOr<std::string> bytes = EncodeImage(format, rgb.data(), w, h);
    ASSERT_TRUE(bytes.ok());
    StatusOr<RgbImage> image = DecodeImage(*bytes);
    ASSERT_TRUE(image.ok()) << ImageFormatName(format) << ": " << image.status().ToString();
    EXPECT_EQ(image->width, w);
    EXPECT_EQ(image->height, h);
    ASSERT_EQ(image->pixels.size(), rgb.size());
    int worst = 0;
    for (size_t i = 0; i < rgb.size(); ++i) worst = std::max(worst, std::abs(image->pixels[i] - rgb[i]));
    // PNG is lossless; JPEG and WebP at Kiln's quality stay close on a smooth gradient.
    EXPECT_LE(worst, format == ImageFormat::kPng ? 0 : 24) << ImageFormatName(format);
  }
}

TEST(ImageDecoderTest, RefusesWhatIsNotAnImageNamingTheLabel) {
  using namespace std::string_literals;  // the literals hold NUL bytes: their length comes from the literal
  for (const std::string& junk : {""s, "GIF89a...."s, "\x89PNG\r\n\x1a\nxx"s, "\xff\xd8\xff\xe0 broken jpeg"s,
                                   "RIFF\0\0\0\0WEBPVP8 "s}) {
    StatusOr<RgbImage> image = DecodeImage(junk, "input[3]");
    ASSERT_FALSE(image.ok());
    EXPECT_EQ(image.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(image.status().message().find("input[3]"), std::string::npos) << image.status().message();
  }
}

TEST(ImageDecoderTest, TruncatedFilesAreErrorsNotCrashes) {
  const std::vector<uint8_t> rgb = Gradient(40, 40);
  for (ImageFormat format : {ImageFormat::kPng, ImageFormat::kJpeg, ImageFormat::kWebp}) {
    StatusOr<std::string> bytes = EncodeImage(format, rgb.data(), 40, 40);
    ASSERT_TRUE(bytes.ok());
    for (size_t keep : {size_t{20}, bytes->size() / 2}) {
      // Errors or a partial image (libjpeg fills a truncated scan); never a crash.
      StatusOr<RgbImage> image = DecodeImage(bytes->substr(0, keep));
      if (image.ok()) {
        EXPECT_EQ(image->pixels.size(), 40u * 40u * 3u);
      }
    }
  }
}

}  // namespace
}  // namespace kiln
