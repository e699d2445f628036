#include "kiln/jobs/blob_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>
#include <vector>

namespace kiln {
namespace {

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "kiln_blobs_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(BlobStoreTest, PutGetDelete) {
  auto store = BlobStore::Open(dir_ + "/var/blobs");  // created with its parents
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string bytes("\x89PNG\r\n\x1a\n\0binary", 14);
  ASSERT_TRUE(store->Put("acme/1234-abcd.png", bytes).ok());
  auto got = store->Get("acme/1234-abcd.png");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, bytes);
  EXPECT_TRUE(std::filesystem::is_regular_file(dir_ + "/var/blobs/acme/1234-abcd.png"));

  ASSERT_TRUE(store->Put("acme/1234-abcd.png", "replaced").ok());
  EXPECT_EQ(store->Get("acme/1234-abcd.png").value(), "replaced");
  // No temporary files left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_ + "/var/blobs/acme"), {}), 1);

  ASSERT_TRUE(store->Delete("acme/1234-abcd.png").ok());
  EXPECT_EQ(store->Get("acme/1234-abcd.png").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Delete("acme/1234-abcd.png").code(), StatusCode::kNotFound);
}

TEST_F(BlobStoreTest, EmptyBlobAndDeepKeys) {
  auto store = BlobStore::Open(dir_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store->Put("a/b/c/d.e.f", "").ok());
  EXPECT_EQ(store->Get("a/b/c/d.e.f").value(), "");
  EXPECT_EQ(store->Get("missing.png").status().code(), StatusCode::kNotFound);
  // A directory is not a blob.
  EXPECT_EQ(store->Get("a/b").status().code(), StatusCode::kNotFound);
}

TEST_F(BlobStoreTest, BadKeysAreInvalidArguments) {
  auto store = BlobStore::Open(dir_);
  ASSERT_TRUE(store.ok());
  for (const char* key : {"", "/etc/passwd", "..", "../x", "a/../../x", "a/..", "./a", "a//b", "a/", "a b",
                          "a\\b", "caf\xc3\xa9", "a?b", "a\nb", "~x"}) {
    EXPECT_EQ(store->Put(key, "x").code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store->Get(key).status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(store->Delete(key).code(), StatusCode::kInvalidArgument) << key;
  }
  EXPECT_EQ(store->Put(std::string_view("a\0b", 3), "x").code(), StatusCode::kInvalidArgument);
  // Dots inside a name are fine.
  EXPECT_TRUE(store->Put("a..b/.hidden/x.-_.png", "x").ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/../x"));
}

TEST_F(BlobStoreTest, OpenRefusesAFile) {
  ASSERT_TRUE(BlobStore::Open(dir_).value().Put("file", "x").ok());
  EXPECT_FALSE(BlobStore::Open(dir_ + "/file").ok());
  EXPECT_EQ(BlobStore::Open("").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(BlobStoreTest, ConcurrentPutsOfTheSameKeyLeaveOneWholeValue) {
  auto store = BlobStore::Open(dir_);
  ASSERT_TRUE(store.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string value(100000, static_cast<char>('a' + t));
      for (int i = 0; i < 10; ++i) EXPECT_TRUE(store->Put("t/same", value).ok());
    });
  }
  for (auto& t : threads) t.join();
  const std::string got = store->Get("t/same").value();
  ASSERT_EQ(got.size(), 100000u);
  EXPECT_EQ(got, std::string(100000, got[0]));
}

}  // namespace
}  // namespace kiln
