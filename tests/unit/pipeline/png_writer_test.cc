#include "kiln/pipeline/png_writer.h"

#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

namespace kiln {
namespace {

struct Decoded {
  bool ok = false;
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
};

// Decodes with libpng's simplified API, converting to 8-bit RGB.
Decoded DecodePng(const std::vector<uint8_t>& bytes) {
  Decoded out;
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) return out;
  image.format = PNG_FORMAT_RGB;
  out.rgb.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgb.data(), 0, nullptr)) return out;
  out.ok = true;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  return out;
}

std::vector<uint8_t> Pattern(int width, int height) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>((i * 37 + i / 7) & 0xff);
  return rgb;
}

TEST(PngWriterTest, EncodeRoundTripsPixels) {
  for (const auto& [width, height] : {std::pair{1, 1}, std::pair{5, 3}, std::pair{64, 17}}) {
    const std::vector<uint8_t> rgb = Pattern(width, height);
    const std::vector<uint8_t> png = EncodePng(rgb.data(), width, height);
    ASSERT_GE(png.size(), 8u);
    EXPECT_EQ(png_sig_cmp(png.data(), 0, 8), 0) << "not a PNG signature";
    const Decoded decoded = DecodePng(png);
    ASSERT_TRUE(decoded.ok);
    EXPECT_EQ(decoded.width, width);
    EXPECT_EQ(decoded.height, height);
    EXPECT_EQ(decoded.rgb, rgb) << width << "x" << height;
  }
}

TEST(PngWriterTest, BadSizesGiveEmptyOutput) {
  const std::vector<uint8_t> rgb = Pattern(2, 2);
  EXPECT_TRUE(EncodePng(rgb.data(), 0, 2).empty());
  EXPECT_TRUE(EncodePng(rgb.data(), 2, -1).empty());
  EXPECT_TRUE(EncodePng(nullptr, 2, 2).empty());
}

TEST(PngWriterTest, WritePngWritesTheEncodedBytes) {
  const std::vector<uint8_t> rgb = Pattern(9, 4);
  const std::string path = ::testing::TempDir() + "/png_writer_test.png";
  ASSERT_TRUE(WritePng(path, rgb.data(), 9, 4).ok());
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, EncodePng(rgb.data(), 9, 4));
  const Decoded decoded = DecodePng(bytes);
  ASSERT_TRUE(decoded.ok);
  EXPECT_EQ(decoded.rgb, rgb);
  std::remove(path.c_str());
}

TEST(PngWriterTest, WritePngErrors) {
  const std::vector<uint8_t> rgb = Pattern(2, 2);
  EXPECT_EQ(WritePng(::testing::TempDir() + "/x.png", rgb.data(), 0, 2).code(),
            StatusCode::kInvalidArgument);
  const Status missing_dir = WritePng("/nonexistent-kiln-dir/x.png", rgb.data(), 2, 2);
  EXPECT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.message().find("/nonexistent-kiln-dir/x.png"), std::string::npos);
}

TEST(PngWriterTest, ImageTensorToRgb8MatchesFluxCli) {
  // flux/cli.py: (127.5 * (x.clamp(-1, 1) + 1.0)).byte(), truncating.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> values = {-1.0f, 1.0f, 0.0f, 0.5f, -0.5f, 2.0f, -3.0f, 0.999f, nan};
  const std::vector<uint8_t> expected = {0, 255, 127, 191, 63, 255, 0, 254, 0};
  // chw (3, 1, n): channel c holds the values shifted by c, so each plane is checked.
  const int64_t n = static_cast<int64_t>(values.size());
  std::vector<float> chw(3 * n);
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < n; ++i) chw[c * n + i] = values[(i + c) % n];
  std::vector<uint8_t> rgb(3 * n);
  ImageTensorToRgb8(chw.data(), 1, n, rgb.data());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < 3; ++c)
      EXPECT_EQ(rgb[i * 3 + c], expected[(i + c) % n]) << "pixel " << i << " channel " << c;
}

TEST(PngWriterTest, ImageTensorToRgb8IsHwcRowMajor) {
  // chw (3, 2, 2): pixel (y, x) of channel c at c*4 + y*2 + x.
  std::vector<float> chw(12);
  for (int i = 0; i < 12; ++i) chw[i] = -1.0f + i * (2.0f / 11.0f);
  std::vector<uint8_t> rgb(12);
  ImageTensorToRgb8(chw.data(), 2, 2, rgb.data());
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x)
      for (int c = 0; c < 3; ++c) {
        const float v = chw[c * 4 + y * 2 + x];
        EXPECT_EQ(rgb[(y * 2 + x) * 3 + c], static_cast<uint8_t>(127.5f * (v + 1.0f)));
      }
}

}  // namespace
}  // namespace kiln
