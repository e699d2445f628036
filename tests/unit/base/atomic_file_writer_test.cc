#include "kiln/base/atomic_file_writer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace kiln {
namespace {

class AtomicFileWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kiln_atomic_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Read(const std::string& name) const {
    std::ifstream in(Path(name), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  size_t FilesInDir() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_), {}));
  }

  std::string dir_;
};

TEST_F(AtomicFileWriterTest, CommitPublishesTheWholeFile) {
  auto writer = AtomicFileWriter::Create(Path("f"));
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->Append("hello ").ok());
  EXPECT_FALSE(std::filesystem::exists(Path("f")));  // nothing visible before Commit
  ASSERT_TRUE((*writer)->Append("world", 5).ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(Read("f"), "hello world");
  EXPECT_EQ(FilesInDir(), 1u);
  EXPECT_EQ((*writer)->Append("x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*writer)->Commit().code(), StatusCode::kFailedPrecondition);
}

TEST_F(AtomicFileWriterTest, DestroyWithoutCommitLeavesTheOldFile) {
  std::ofstream(Path("f")) << "old";
  {
    auto writer = AtomicFileWriter::Create(Path("f"));
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("new").ok());
  }
  EXPECT_EQ(Read("f"), "old");
  EXPECT_EQ(FilesInDir(), 1u);
}

TEST_F(AtomicFileWriterTest, CommitReplacesAnExistingFile) {
  std::ofstream(Path("f")) << "old contents that are longer";
  auto writer = AtomicFileWriter::Create(Path("f"));
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("new").ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ(Read("f"), "new");
}

TEST_F(AtomicFileWriterTest, MissingDirectoryIsNotFound) {
  auto writer = AtomicFileWriter::Create(Path("missing/f"));
  EXPECT_EQ(writer.status().code(), StatusCode::kNotFound);
  EXPECT_NE(writer.status().message().find("missing/f"), std::string::npos);
}

TEST_F(AtomicFileWriterTest, TwoWritersToOnePathDoNotClash) {
  auto a = AtomicFileWriter::Create(Path("f"));
  auto b = AtomicFileWriter::Create(Path("f"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Append("a").ok());
  ASSERT_TRUE((*b)->Append("b").ok());
  ASSERT_TRUE((*a)->Commit().ok());
  ASSERT_TRUE((*b)->Commit().ok());
  EXPECT_EQ(Read("f"), "b");
  EXPECT_EQ(FilesInDir(), 1u);
}

}  // namespace
}  // namespace kiln
