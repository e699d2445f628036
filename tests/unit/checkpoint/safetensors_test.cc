// Round trips through WriteSafetensors / SafetensorsFile, zero-copy reads,
// truncated and corrupted files, and the shared golden checkpoint.
#include "kiln/checkpoint/safetensors.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace kiln {
namespace {

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Parses bytes from a heap copy of exactly their size, as the fuzzer does, so
// ASan builds catch any read past the end.
StatusOr<std::unique_ptr<SafetensorsFile>> Parse(const std::string& bytes) {
  std::shared_ptr<uint8_t[]> copy(new uint8_t[bytes.size()]);
  std::memcpy(copy.get(), bytes.data(), bytes.size());
  return SafetensorsFile::FromBuffer(copy, copy.get(), bytes.size(), "t.safetensors");
}

Tensor F16Tensor(Shape shape, const std::vector<float>& values) {
  Tensor t = Tensor::Empty(DType::kF16, std::move(shape));
  auto* bits = static_cast<uint16_t*>(t.data());
  for (size_t i = 0; i < values.size(); ++i) bits[i] = F32ToF16(values[i]);
  return t;
}

Tensor BF16Tensor(Shape shape, const std::vector<float>& values) {
  Tensor t = Tensor::Empty(DType::kBF16, std::move(shape));
  auto* bits = static_cast<uint16_t*>(t.data());
  for (size_t i = 0; i < values.size(); ++i) bits[i] = F32ToBF16(values[i]);
  return t;
}

std::vector<float> ToVector(const Tensor& t) {
  return std::vector<float>(t.f32(), t.f32() + t.numel());
}

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kiln_safetensors_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  size_t FilesInDir() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_), {}));
  }

  std::string dir_;
};

TEST_F(SafetensorsTest, RoundTripsF32F16BF16) {
  const std::vector<float> values = {1.0f, -2.5f, 0.375f, 1024.0f, -0.0f, -3072.0f};
  const Tensor f32 = Tensor::FromVector({2, 3}, values);
  const Tensor f16 = F16Tensor({3, 2}, values);
  const Tensor bf16 = BF16Tensor({6}, values);
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"), {{"w.f32", f32}, {"b.f16", f16}, {"a.bf16", bf16}}).ok());

  auto file = SafetensorsFile::Open(Path("m.safetensors"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const auto& entries = (*file)->entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "a.bf16");
  EXPECT_EQ(entries[1].name, "b.f16");
  EXPECT_EQ(entries[2].name, "w.f32");
  EXPECT_EQ(entries[0].dtype, DType::kBF16);
  EXPECT_EQ(entries[1].shape, (Shape{3, 2}));
  EXPECT_EQ(entries[2].end - entries[2].begin, 24u);

  for (const auto& [name, original] : std::vector<std::pair<std::string, Tensor>>{
           {"w.f32", f32}, {"b.f16", f16}, {"a.bf16", bf16}}) {
    auto stored = (*file)->Get(name);
    ASSERT_TRUE(stored.ok()) << name;
    EXPECT_EQ(stored->dtype(), original.dtype()) << name;
    EXPECT_EQ(stored->shape(), original.shape()) << name;
    EXPECT_EQ(std::memcmp(stored->data(), original.data(), original.nbytes()), 0) << name;
    auto widened = (*file)->GetF32(name);
    ASSERT_TRUE(widened.ok()) << name;
    EXPECT_EQ(widened->dtype(), DType::kF32);
    EXPECT_EQ(ToVector(*widened), values) << name;  // every value is exact in f16 and bf16
  }
}

TEST_F(SafetensorsTest, LaysOutTensorsInOrderAfterAPaddedHeader) {
  const Tensor a = Tensor::FromVector({1}, {1.0f});
  const Tensor b = Tensor::FromVector({2}, {2.0f, 3.0f});
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"), {{"z", a}, {"a", b}}, {{"k", "v"}}).ok());
  const std::string bytes = ReadBytes(Path("m.safetensors"));
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, bytes.data(), 8);
  EXPECT_EQ(header_bytes % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + header_bytes + 12);
  const std::string header = bytes.substr(8, header_bytes);
  EXPECT_EQ(header.find_first_not_of(' ', header.rfind('}') + 1), std::string::npos);  // padded with spaces
  auto file = Parse(bytes);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->Find("z")->begin, 0u);  // written first although sorted last
  EXPECT_EQ((*file)->Find("a")->begin, 4u);
}

TEST_F(SafetensorsTest, RoundTripsMetadata) {
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"config", R"({"depth": 2})"}, {"", ""}};
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"), {{"x", Tensor::FromVector({1}, {5.0f})}}, metadata).ok());
  auto file = SafetensorsFile::Open(Path("m.safetensors"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->metadata(), metadata);
  EXPECT_EQ((*file)->label(), Path("m.safetensors"));

  ASSERT_TRUE(WriteSafetensors(Path("n.safetensors"), {{"x", Tensor::FromVector({1}, {5.0f})}}).ok());
  auto bare = SafetensorsFile::Open(Path("n.safetensors"));
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE((*bare)->metadata().empty());
  EXPECT_EQ(ReadBytes(Path("n.safetensors")).find("__metadata__"), std::string::npos);
}

TEST_F(SafetensorsTest, NoTensorsAndEmptyDataSectionIsValid) {
  ASSERT_TRUE(WriteSafetensors(Path("empty.safetensors"), {}).ok());
  auto file = SafetensorsFile::Open(Path("empty.safetensors"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_TRUE((*file)->entries().empty());
  EXPECT_FALSE((*file)->Contains("x"));
  EXPECT_EQ((*file)->Find("x"), nullptr);
}

TEST_F(SafetensorsTest, ZeroElementAndScalarTensors) {
  const Tensor none = Tensor::Empty(DType::kF32, {0, 7});
  const Tensor scalar = Tensor::FromVector({}, {42.0f});
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"), {{"none", none}, {"scalar", scalar}}).ok());
  auto file = SafetensorsFile::Open(Path("m.safetensors"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto got_none = (*file)->GetF32("none");
  ASSERT_TRUE(got_none.ok());
  EXPECT_EQ(got_none->shape(), (Shape{0, 7}));
  EXPECT_EQ(got_none->numel(), 0);
  auto got_scalar = (*file)->GetF32("scalar");
  ASSERT_TRUE(got_scalar.ok());
  EXPECT_EQ(got_scalar->rank(), 0);
  EXPECT_EQ(got_scalar->f32()[0], 42.0f);
}

TEST_F(SafetensorsTest, GetF32IsZeroCopyForAlignedF32) {
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"), {{"x", Tensor::FromVector({2}, {1.0f, 2.0f})}}).ok());
  auto file = SafetensorsFile::Open(Path("m.safetensors"));
  ASSERT_TRUE(file.ok());
  auto view = (*file)->Get("x");
  auto f32 = (*file)->GetF32("x");
  ASSERT_TRUE(view.ok() && f32.ok());
  EXPECT_EQ(view->data(), f32->data());
}

TEST_F(SafetensorsTest, GetF32CopiesUnalignedF32) {
  // An unpadded header whose length is not a multiple of 4 misaligns the data section.
  std::string header = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  if (header.size() % 4 == 0) header += ' ';
  const float values[2] = {1.5f, -4.0f};
  std::string bytes(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(values), sizeof(values));
  auto file = Parse(bytes);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto view = (*file)->Get("x");
  ASSERT_TRUE(view.ok());
  ASSERT_NE(reinterpret_cast<uintptr_t>(view->data()) % alignof(float), 0u);
  auto f32 = (*file)->GetF32("x");
  ASSERT_TRUE(f32.ok());
  EXPECT_NE(f32->data(), view->data());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f32->data()) % alignof(float), 0u);
  EXPECT_EQ(ToVector(*f32), (std::vector<float>{1.5f, -4.0f}));
}

TEST_F(SafetensorsTest, GetF32ConvertsIntegerAndF64Tensors) {
  Tensor i64 = Tensor::Empty(DType::kI64, {2});
  static_cast<int64_t*>(i64.data())[0] = -3;
  static_cast<int64_t*>(i64.data())[1] = 1 << 20;
  Tensor u8 = Tensor::Empty(DType::kU8, {2});
  static_cast<uint8_t*>(u8.data())[0] = 0;
  static_cast<uint8_t*>(u8.data())[1] = 255;
  Tensor f64 = Tensor::Empty(DType::kF64, {1});
  static_cast<double*>(f64.data())[0] = 0.1;
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"), {{"i64", i64}, {"u8", u8}, {"f64", f64}}).ok());
  auto file = SafetensorsFile::Open(Path("m.safetensors"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(ToVector(*(*file)->GetF32("i64")), (std::vector<float>{-3.0f, 1048576.0f}));
  EXPECT_EQ(ToVector(*(*file)->GetF32("u8")), (std::vector<float>{0.0f, 255.0f}));
  EXPECT_EQ(ToVector(*(*file)->GetF32("f64")), (std::vector<float>{0.1f}));
}

TEST_F(SafetensorsTest, TensorsKeepTheMappingAlive) {
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"), {{"x", Tensor::FromVector({3}, {7.0f, 8.0f, 9.0f})}}).ok());
  Tensor view;
  {
    auto file = SafetensorsFile::Open(Path("m.safetensors"));
    ASSERT_TRUE(file.ok());
    view = *(*file)->Get("x");
  }
  std::filesystem::remove(Path("m.safetensors"));
  EXPECT_EQ(ToVector(view), (std::vector<float>{7.0f, 8.0f, 9.0f}));
}

TEST_F(SafetensorsTest, MissingTensorIsNotFoundAndNamed) {
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"), {{"x", Tensor::FromVector({1}, {1.0f})}}).ok());
  auto file = SafetensorsFile::Open(Path("m.safetensors"));
  ASSERT_TRUE(file.ok());
  for (const auto& result : {(*file)->Get("y"), (*file)->GetF32("y")}) {
    EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
    EXPECT_NE(result.status().message().find("'y'"), std::string::npos) << result.status().message();
  }
}

TEST_F(SafetensorsTest, OpenReportsMissingFilesAndDirectories) {
  auto missing = SafetensorsFile::Open(Path("nope.safetensors"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.safetensors"), std::string::npos);
  EXPECT_EQ(SafetensorsFile::Open(dir_).status().code(), StatusCode::kInvalidArgument);
  std::ofstream(Path("empty")).close();
  auto empty = SafetensorsFile::Open(Path("empty"));
  EXPECT_EQ(empty.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(empty.status().message().find(Path("empty")), std::string::npos);
}

TEST_F(SafetensorsTest, WriteRefusesBadInputAndLeavesNoFiles) {
  const Tensor x = Tensor::FromVector({1}, {1.0f});
  struct Case {
    std::vector<std::pair<std::string, Tensor>> tensors;
    std::map<std::string, std::string> metadata;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{{"x", x}, {"x", x}}, {}, "'x': appears more than once"},
      {{{"__metadata__", x}}, {}, "reserved"},
      {{{"nothing", Tensor()}}, {}, "'nothing': has no storage"},
      {{{"bad\xff", x}}, {}, "UTF-8"},
      {{{"x", x}}, {{"k", "\xc3"}}, "UTF-8"},
  };
  for (const Case& c : cases) {
    const Status status = WriteSafetensors(Path("m.safetensors"), c.tensors, c.metadata);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.expected;
    EXPECT_NE(status.message().find(c.expected), std::string::npos) << status.message();
  }
  EXPECT_EQ(FilesInDir(), 0u);
  EXPECT_EQ(WriteSafetensors(Path("no/such/dir/m.safetensors"), {{"x", x}}).code(), StatusCode::kNotFound);
}

TEST_F(SafetensorsTest, WriteReplacesAnExistingFile) {
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"), {{"old", Tensor::FromVector({1}, {1.0f})}}).ok());
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"), {{"new", Tensor::FromVector({1}, {2.0f})}}).ok());
  auto file = SafetensorsFile::Open(Path("m.safetensors"));
  ASSERT_TRUE(file.ok());
  EXPECT_FALSE((*file)->Contains("old"));
  EXPECT_TRUE((*file)->Contains("new"));
  EXPECT_EQ(FilesInDir(), 1u);  // no temporary left behind
}

// A file cut anywhere is an error, never a crash or an out-of-bounds read.
TEST_F(SafetensorsTest, TruncatedFilesFailCleanlyAtEveryCut) {
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"),
                               {{"a", Tensor::FromVector({3}, {1, 2, 3})},
                                {"b", F16Tensor({2}, {4, 5})},
                                {"c", Tensor::FromVector({1}, {6})}},
                               {{"note", "truncation"}})
                  .ok());
  const std::string bytes = ReadBytes(Path("m.safetensors"));
  ASSERT_TRUE(Parse(bytes).ok());
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    auto file = Parse(bytes.substr(0, cut));
    ASSERT_FALSE(file.ok()) << "cut at " << cut;
    const StatusCode code = file.status().code();
    EXPECT_TRUE(code == StatusCode::kDataLoss || code == StatusCode::kInvalidArgument) << cut;
    EXPECT_EQ(file.status().message().rfind("t.safetensors: ", 0), 0u) << file.status().message();
  }
}

// Every single-byte corruption of the header either parses or fails with a
// Status; with ASan this is a small deterministic fuzz run.
TEST_F(SafetensorsTest, CorruptedHeaderBytesNeverCrash) {
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"),
                               {{"a", Tensor::FromVector({2, 2}, {1, 2, 3, 4})}, {"b", BF16Tensor({1}, {5})}},
                               {{"k", "v"}})
                  .ok());
  const std::string bytes = ReadBytes(Path("m.safetensors"));
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, bytes.data(), 8);
  for (size_t i = 0; i < 8 + header_bytes; ++i) {
    for (const char replacement : {'\0', '"', '[', '{', '}', ',', '-', '9', 'x', '\xff'}) {
      std::string corrupt = bytes;
      corrupt[i] = replacement;
      auto file = Parse(corrupt);
      if (!file.ok()) continue;
      for (const TensorEntry& entry : (*file)->entries()) {
        auto t = (*file)->GetF32(entry.name);
        ASSERT_TRUE(t.ok());
        double sum = 0;
        for (int64_t k = 0; k < t->numel(); ++k) sum += t->f32()[k];
        (void)sum;
      }
    }
  }
}

TEST(SafetensorsGoldenTest, ReadsTheSharedFluxCheckpoint) {
  const std::string path = KILN_SOURCE_DIR "/../shared/golden/flux/flux_dev_tiny/weights.safetensors";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no shared golden data at " << path;
  auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->entries().size(), 84u);
  EXPECT_EQ((*file)->metadata().count("config"), 1u);
  for (size_t i = 1; i < (*file)->entries().size(); ++i) {
    EXPECT_LT((*file)->entries()[i - 1].name, (*file)->entries()[i].name);
  }
  const TensorEntry* qkv = (*file)->Find("double_blocks.0.img_attn.qkv.weight");
  ASSERT_NE(qkv, nullptr);
  EXPECT_EQ(qkv->dtype, DType::kF32);
  EXPECT_EQ(qkv->shape, (Shape{384, 128}));

  auto img_in = (*file)->GetF32("img_in.weight");
  ASSERT_TRUE(img_in.ok());
  EXPECT_EQ(img_in->shape(), (Shape{128, 64}));
  EXPECT_EQ(img_in->data(), (*file)->Get("img_in.weight")->data());  // zero-copy
  // First values as read by Python's struct module from the same file.
  EXPECT_FLOAT_EQ(img_in->f32()[0], -0.026140496134757996f);
  EXPECT_FLOAT_EQ(img_in->f32()[1], -0.08516107499599457f);
  EXPECT_FLOAT_EQ(img_in->f32()[2], 0.08906836807727814f);
  for (const TensorEntry& entry : (*file)->entries()) {
    auto t = (*file)->GetF32(entry.name);
    ASSERT_TRUE(t.ok()) << entry.name;
    for (int64_t k = 0; k < t->numel(); ++k) ASSERT_TRUE(std::isfinite(t->f32()[k])) << entry.name;
  }
}

}  // namespace
}  // namespace kiln
