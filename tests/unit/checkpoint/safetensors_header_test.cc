// Validation of safetensors headers: every malformed header is a Status whose
// message names the file, the tensor and the problem.
#include "kiln/checkpoint/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

namespace kiln {
namespace {

std::string WithLength(uint64_t header_bytes, const std::string& rest) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(header_bytes >> (8 * i));
  return bytes + rest;
}

StatusOr<std::unique_ptr<SafetensorsFile>> ParseBytes(const std::string& bytes) {
  std::shared_ptr<uint8_t[]> copy(new uint8_t[bytes.size()]);
  std::memcpy(copy.get(), bytes.data(), bytes.size());
  return SafetensorsFile::FromBuffer(copy, copy.get(), bytes.size(), "t.safetensors");
}

// A file with the given header text followed by data_bytes zero bytes.
StatusOr<std::unique_ptr<SafetensorsFile>> ParseHeader(const std::string& header, size_t data_bytes = 64) {
  return ParseBytes(WithLength(header.size(), header + std::string(data_bytes, '\0')));
}

std::string Entry(const std::string& dtype, const std::string& shape, const std::string& offsets) {
  return R"({"dtype":)" + dtype + R"(,"shape":)" + shape + R"(,"data_offsets":)" + offsets + "}";
}

::testing::AssertionResult FailsWith(const StatusOr<std::unique_ptr<SafetensorsFile>>& result, StatusCode code,
                                     const std::vector<std::string>& parts) {
  if (result.ok()) return ::testing::AssertionFailure() << "parsed fine";
  const std::string& message = result.status().message();
  if (result.status().code() != code) {
    return ::testing::AssertionFailure() << "wrong code: " << result.status().ToString();
  }
  if (message.rfind("t.safetensors: ", 0) != 0) return ::testing::AssertionFailure() << "no label: " << message;
  for (const std::string& part : parts) {
    if (message.find(part) == std::string::npos) {
      return ::testing::AssertionFailure() << "'" << part << "' not in: " << message;
    }
  }
  return ::testing::AssertionSuccess() << message;
}

TEST(SafetensorsHeaderTest, FileShorterThanTheLengthPrefix) {
  for (size_t size = 0; size < 8; ++size) {
    EXPECT_TRUE(FailsWith(ParseBytes(std::string(size, '\0')), StatusCode::kDataLoss, {"8-byte"}));
  }
}

TEST(SafetensorsHeaderTest, HeaderLengthBeyondTheFile) {
  EXPECT_TRUE(FailsWith(ParseBytes(WithLength(100, "{}")), StatusCode::kDataLoss, {"header length 100", "10-byte"}));
}

TEST(SafetensorsHeaderTest, HeaderLengthAboveTheLimit) {
  EXPECT_TRUE(FailsWith(ParseBytes(WithLength(kMaxSafetensorsHeaderBytes + 1, "{}")), StatusCode::kInvalidArgument,
                        {"exceeds the limit"}));
  EXPECT_TRUE(FailsWith(ParseBytes(WithLength(~0ull, "{}")), StatusCode::kInvalidArgument, {"exceeds the limit"}));
}

TEST(SafetensorsHeaderTest, InvalidJsonReportsThePosition) {
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"a": [1,2,})"), StatusCode::kInvalidArgument, {"not valid JSON", "byte 12"}));
  EXPECT_TRUE(FailsWith(ParseHeader(""), StatusCode::kInvalidArgument, {"not valid JSON"}));
  EXPECT_TRUE(FailsWith(ParseHeader("{} x"), StatusCode::kInvalidArgument, {"not valid JSON", "byte 4"}));
  EXPECT_TRUE(FailsWith(ParseHeader("{\"\xff\": 1}"), StatusCode::kInvalidArgument, {"not valid JSON"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"a": 1e999})"), StatusCode::kInvalidArgument, {"header"}));
}

TEST(SafetensorsHeaderTest, HeaderMustBeAnObject) {
  EXPECT_TRUE(FailsWith(ParseHeader("[]"), StatusCode::kInvalidArgument, {"JSON array, expected an object"}));
  EXPECT_TRUE(FailsWith(ParseHeader("7"), StatusCode::kInvalidArgument, {"expected an object"}));
}

TEST(SafetensorsHeaderTest, EntryMustBeAnObject) {
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": 3})"), StatusCode::kInvalidArgument, {"tensor 'w'", "expected an object"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": []})"), StatusCode::kInvalidArgument, {"tensor 'w'", "array"}));
}

TEST(SafetensorsHeaderTest, MissingFields) {
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})"),
                        StatusCode::kInvalidArgument, {"tensor 'w'", "missing dtype"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})"),
                        StatusCode::kInvalidArgument, {"tensor 'w'", "missing shape"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": {"dtype": "F32", "shape": [1]}})"), StatusCode::kInvalidArgument,
                        {"tensor 'w'", "missing data_offsets"}));
}

TEST(SafetensorsHeaderTest, UnknownOrMistypedDType) {
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": )" + Entry(R"("F8_E4M3")", "[1]", "[0, 1]") + "}"),
                        StatusCode::kInvalidArgument, {"tensor 'w'", "unsupported dtype 'F8_E4M3'"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": )" + Entry(R"("f32")", "[1]", "[0, 4]") + "}"),
                        StatusCode::kInvalidArgument, {"tensor 'w'", "dtype 'f32'"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": )" + Entry("4", "[1]", "[0, 4]") + "}"), StatusCode::kInvalidArgument,
                        {"tensor 'w'", "dtype is 4, expected a string"}));
}

TEST(SafetensorsHeaderTest, BadShapes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[2, -1]", "dimension 1 is -1"},
      {"[2.0]", "dimension 0 is 2.0"},
      {R"(["2"])", "dimension 0 is \"2\""},
      {"[true]", "dimension 0 is true"},
      {"[null]", "dimension 0 is null"},
      {"4", "shape is 4, expected an array"},
      {"{}", "shape is {}, expected an array"},
      {"[9223372036854775808]", "dimension 0 is 9223372036854775808"},
      {"[18446744073709551616]", "dimension 0"},  // beyond uint64: parsed as a float
      {"[4294967296, 4294967296]", "overflows 64 bits"},
      {"[4611686018427387904]", "overflows 64 bits"},  // 2^62 elements × 4 bytes
  };
  for (const auto& [shape, problem] : cases) {
    EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": )" + Entry(R"("F32")", shape, "[0, 4]") + "}"),
                          StatusCode::kInvalidArgument, {"tensor 'w'", problem}))
        << shape;
  }
}

TEST(SafetensorsHeaderTest, BadDataOffsets) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[0]", "data_offsets is [0], expected [begin, end]"},
      {"[0, 4, 8]", "expected [begin, end]"},
      {"[-4, 0]", "expected [begin, end]"},
      {"[0, 4.0]", "expected [begin, end]"},
      {R"({"begin": 0})", "expected [begin, end]"},
      {"[8, 4]", "data_offsets [8,4] has begin after end"},
  };
  for (const auto& [offsets, problem] : cases) {
    EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": )" + Entry(R"("F32")", "[1]", offsets) + "}"),
                          StatusCode::kInvalidArgument, {"tensor 'w'", problem}))
        << offsets;
  }
}

TEST(SafetensorsHeaderTest, SizeMismatchMessageIsExact) {
  auto result = ParseHeader(R"({"img_in.weight": )" + Entry(R"("F32")", "[64, 128]", "[0, 100]") + "}", 128);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            "t.safetensors: tensor 'img_in.weight': shape [64, 128] × F32 = 32768 bytes but data_offsets span 100");
}

TEST(SafetensorsHeaderTest, RangeOutsideTheDataSection) {
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": )" + Entry(R"("F32")", "[4]", "[60, 76]") + "}", 64),
                        StatusCode::kDataLoss, {"tensor 'w'", "[60, 76]", "64-byte data section"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": )" + Entry(R"("U8")", "[0]", "[65, 65]") + "}", 64),
                        StatusCode::kDataLoss, {"tensor 'w'"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": )" + Entry(R"("U8")", "[1]", "[18446744073709551614, 18446744073709551615]") +
                                    "}"),
                        StatusCode::kDataLoss, {"tensor 'w'"}));
}

TEST(SafetensorsHeaderTest, OverlappingRangesNameBothTensors) {
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"a": )" + Entry(R"("F32")", "[4]", "[0, 16]") + R"(, "b": )" +
                                    Entry(R"("F32")", "[4]", "[8, 24]") + "}"),
                        StatusCode::kInvalidArgument, {"tensors 'a' [0, 16] and 'b' [8, 24] overlap"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"a": )" + Entry(R"("U8")", "[4]", "[4, 8]") + R"(, "b": )" +
                                    Entry(R"("U8")", "[4]", "[4, 8]") + "}"),
                        StatusCode::kInvalidArgument, {"'a'", "'b'", "overlap"}));
  // A range inside a longer earlier one.
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"a": )" + Entry(R"("U8")", "[32]", "[0, 32]") + R"(, "b": )" +
                                    Entry(R"("U8")", "[1]", "[33, 34]") + R"(, "c": )" +
                                    Entry(R"("U8")", "[2]", "[10, 12]") + "}"),
                        StatusCode::kInvalidArgument, {"'a'", "'c'", "overlap"}));
}

TEST(SafetensorsHeaderTest, AdjacentGappedAndEmptyRangesAreFine) {
  auto result = ParseHeader(R"({"a": )" + Entry(R"("U8")", "[4]", "[0, 4]") + R"(, "b": )" +
                            Entry(R"("U8")", "[4]", "[4, 8]") + R"(, "c": )" + Entry(R"("U8")", "[0]", "[2, 2]") +
                            R"(, "d": )" + Entry(R"("U8")", "[2]", "[20, 22]") + R"(, "e": )" +
                            Entry(R"("U8")", "[0, 3]", "[64, 64]") + "}   ",
                            64);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ((*result)->entries().size(), 5u);
}

TEST(SafetensorsHeaderTest, DuplicateNamesAreRefused) {
  const std::string e = Entry(R"("U8")", "[1]", "[0, 1]");
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": )" + e + R"(, "w": )" + e + "}"), StatusCode::kInvalidArgument,
                        {"tensor 'w'", "appears more than once"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": {"dtype": "U8", "dtype": "F32", "shape": [1], "data_offsets": [0, 1]}})"),
                        StatusCode::kInvalidArgument, {"tensor 'w'", "key 'dtype' appears more than once"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"__metadata__": {"k": "1", "k": "2"}})"), StatusCode::kInvalidArgument,
                        {"__metadata__", "key 'k' appears more than once"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"__metadata__": {}, "__metadata__": {}})"), StatusCode::kInvalidArgument,
                        {"__metadata__", "appears more than once"}));
  // The same key in two different objects is not a duplicate.
  auto fine = ParseHeader(R"({"a": )" + e + R"(, "b": )" + Entry(R"("U8")", "[1]", "[1, 2]") + "}");
  EXPECT_TRUE(fine.ok()) << fine.status().ToString();
}

TEST(SafetensorsHeaderTest, MetadataMustMapStringsToStrings) {
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"__metadata__": ["a"]})"), StatusCode::kInvalidArgument,
                        {"__metadata__ is an array, expected an object of strings"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"__metadata__": {"n": 3}})"), StatusCode::kInvalidArgument,
                        {"__metadata__ 'n' is 3, expected a string"}));
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"__metadata__": {"o": {"x": "y"}}})"), StatusCode::kInvalidArgument,
                        {"__metadata__ 'o'"}));
  auto fine = ParseHeader(R"({"__metadata__": {"format": "pt", "empty": ""}})");
  ASSERT_TRUE(fine.ok()) << fine.status().ToString();
  EXPECT_EQ((*fine)->metadata().at("format"), "pt");
  EXPECT_TRUE((*fine)->entries().empty());
}

TEST(SafetensorsHeaderTest, DeepNestingIsRefusedWithoutRecursion) {
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"w": )" + Entry(R"("F32")", "[[1]]", "[0, 4]") + "}"),
                        StatusCode::kInvalidArgument, {"tensor 'w'", "nested too deeply"}));
  const std::string deep = R"({"w": {"shape": )" + std::string(200000, '[') + std::string(200000, ']') + "}}";
  EXPECT_TRUE(FailsWith(ParseHeader(deep), StatusCode::kInvalidArgument, {"tensor 'w'", "nested too deeply"}));
  const std::string unclosed = R"({"w": )" + std::string(200000, '[');
  EXPECT_TRUE(FailsWith(ParseHeader(unclosed), StatusCode::kInvalidArgument, {"nested too deeply"}));
}

TEST(SafetensorsHeaderTest, NamesWithControlBytesAreEscapedInMessages) {
  EXPECT_TRUE(FailsWith(ParseHeader(R"({"a\nb": 1})"), StatusCode::kInvalidArgument, {"tensor 'a\\x0ab'"}));
}

TEST(SafetensorsHeaderTest, LongNamesAreShortenedAtACharacterBoundary) {
  std::string name(199, 'a');
  for (int i = 0; i < 10; ++i) name += "\xc3\xa9";  // é
  auto result = ParseHeader(R"({")" + name + R"(": 1})");
  ASSERT_FALSE(result.ok());
  const std::string& message = result.status().message();
  EXPECT_NE(message.find("tensor '" + std::string(199, 'a') + "...'"), std::string::npos) << message;
}

// The reference implementation ignores keys it does not know; so does Kiln.
TEST(SafetensorsHeaderTest, UnknownEntryKeysAreIgnored) {
  auto result = ParseHeader(R"({"w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1], "extra": [1]}})");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ((*result)->entries()[0].shape, Shape{1});
}

}  // namespace
}  // namespace kiln
