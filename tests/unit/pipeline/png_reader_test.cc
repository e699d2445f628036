#include "kiln/pipeline/png_reader.h"

#include <gtest/gtest.h>
#include <png.h>

#include <cstdint>
#include <vector>

#include "kiln/pipeline/png_writer.h"

namespace kiln {
namespace {

std::vector<uint8_t> Pattern(int width, int height) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>((i * 37 + i / 7) & 0xff);
  return rgb;
}

TEST(PngReaderTest, RoundTripsEncodePng) {
  const int width = 13, height = 7;
  const auto rgb = Pattern(width, height);
  const auto bytes = EncodePng(rgb.data(), width, height);
  auto image = DecodePng(bytes.data(), bytes.size());
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(image->width, width);
  EXPECT_EQ(image->height, height);
  EXPECT_EQ(image->pixels, rgb);
}

// RGBA written with the simplified API: alpha is dropped, not composited.
TEST(PngReaderTest, DropsAlpha) {
  const uint8_t rgba[] = {10, 20, 30, 0, 200, 100, 50, 128};
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = 2;
  image.height = 1;
  image.format = PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  ASSERT_TRUE(png_image_write_to_memory(&image, nullptr, &size, 0, rgba, 0, nullptr));
  std::vector<uint8_t> bytes(size);
  ASSERT_TRUE(png_image_write_to_memory(&image, bytes.data(), &size, 0, rgba, 0, nullptr));
  auto decoded = DecodePng(bytes.data(), size);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const std::vector<uint8_t> want = {10, 20, 30, 200, 100, 50};
  EXPECT_EQ(decoded->pixels, want);
}

TEST(PngReaderTest, RejectsGarbageAndTruncation) {
  const std::vector<uint8_t> garbage(64, 7);
  EXPECT_EQ(DecodePng(garbage.data(), garbage.size(), "x.png").status().code(), StatusCode::kInvalidArgument);
  const auto rgb = Pattern(16, 16);
  const auto bytes = EncodePng(rgb.data(), 16, 16);
  auto truncated = DecodePng(bytes.data(), bytes.size() / 2, "half.png");
  EXPECT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("half.png"), std::string::npos);
}

}  // namespace
}  // namespace kiln
