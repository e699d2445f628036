// The moderation tables of the SQLite job store: policy versions, concept
// heads, the audit log and admin keys, durable across a reopen, and the
// migration of a schema-1 file.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

#include "kiln/base/crypto.h"
#include "kiln/jobs/sqlite_job_store.h"

namespace kiln {
namespace {

class SqliteModerationTablesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "kiln_modstore_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/jobs.db";
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto store = SqliteJobStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  std::string dir_, path_;
  std::unique_ptr<SqliteJobStore> store_;
};

TEST_F(SqliteModerationTablesTest, PolicyVersionsOnlyGoUpAndTheLatestIsCurrent) {
  ASSERT_TRUE(store_->PutPolicy({"acme", 1, R"({"version": 1})", 10}).ok());
  ASSERT_TRUE(store_->PutPolicy({"acme", 3, R"({"version": 3})", 11}).ok());
  ASSERT_TRUE(store_->PutPolicy({"beta", 2, R"({"version": 2})", 12}).ok());
  const Status stale = store_->PutPolicy({"acme", 3, R"({"version": 3, "x": 1})", 13});
  EXPECT_EQ(stale.code(), StatusCode::kFailedPrecondition) << stale.ToString();
  EXPECT_NE(stale.message().find("above 3"), std::string::npos) << stale.message();
  EXPECT_EQ(store_->PutPolicy({"acme", 2, "{}", 14}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->PutPolicy({"", 1, "{}", 14}).code(), StatusCode::kInvalidArgument);
  Reopen();
  StatusOr<std::vector<StoredPolicy>> current = store_->CurrentPolicies();
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  ASSERT_EQ(current->size(), 2u);
  EXPECT_EQ((*current)[0].tenant, "acme");
  EXPECT_EQ((*current)[0].version, 3);
  EXPECT_EQ((*current)[0].json, R"({"version": 3})");
  EXPECT_EQ((*current)[1].tenant, "beta");
  EXPECT_EQ((*current)[1].created_ms, 12);
}

TEST_F(SqliteModerationTablesTest, ConceptsAreReplacedByNameAndDeleted) {
  ASSERT_TRUE(store_->PutConcept({"acme", "triangles", "{\"a\":1}", 1}).ok());
  ASSERT_TRUE(store_->PutConcept({"acme", "triangles", "{\"a\":2}", 2}).ok());
  ASSERT_TRUE(store_->PutConcept({"acme", "logos", "{}", 3}).ok());
  Reopen();
  StatusOr<std::vector<StoredConcept>> heads = store_->Concepts();
  ASSERT_TRUE(heads.ok());
  ASSERT_EQ(heads->size(), 2u);
  EXPECT_EQ((*heads)[1].name, "triangles");
  EXPECT_EQ((*heads)[1].json, "{\"a\":2}");
  EXPECT_TRUE(store_->DeleteConcept("acme", "logos").ok());
  EXPECT_EQ(store_->DeleteConcept("acme", "logos").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Concepts()->size(), 1u);
}

TEST_F(SqliteModerationTablesTest, AuditEntriesAreKeptInOrderPerJob) {
  store_->RecordModeration({"job-1", "acme", "prompt", "flag", 2, "[{\"category\":\"violence\"}]", 100});
  store_->RecordModeration({"job-2", "acme", "prompt", "allow", 2, "[]", 101});
  store_->RecordModeration({"job-1", "acme", "output_image", "block", 2, "[]", 102});
  Reopen();  // closing commits what was recorded
  StatusOr<std::vector<ModerationAuditEntry>> entries = store_->ModerationAudit("job-1");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].stage, "prompt");
  EXPECT_EQ((*entries)[0].action, "flag");
  EXPECT_EQ((*entries)[0].reasons_json, "[{\"category\":\"violence\"}]");
  EXPECT_EQ((*entries)[1].stage, "output_image");
  EXPECT_EQ((*entries)[1].at_ms, 102);
  EXPECT_TRUE(store_->ModerationAudit("job-3")->empty());
}

TEST_F(SqliteModerationTablesTest, AdminKeysAreStoredHashed) {
  const std::string hash = Sha256Hex("kiln_admin_secret");
  EXPECT_FALSE(*store_->IsAdminKey(hash));
  ASSERT_TRUE(store_->AddAdminKey(hash).ok());
  ASSERT_TRUE(store_->AddAdminKey(hash).ok());  // again: no error
  EXPECT_EQ(store_->AddAdminKey("not-a-hash").code(), StatusCode::kInvalidArgument);
  Reopen();
  EXPECT_TRUE(*store_->IsAdminKey(hash));
  // A tenant key is not an admin key.
  ASSERT_TRUE(store_->AddApiKey(Sha256Hex("tenant-key"), "acme").ok());
  EXPECT_FALSE(*store_->IsAdminKey(Sha256Hex("tenant-key")));
}

TEST_F(SqliteModerationTablesTest, SchemaVersionOneFileIsMigrated) {
  store_.reset();
  // What a version-1 binary left: its tables, no moderation tables.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE moderation_policies; DROP TABLE concept_heads; DROP TABLE moderation_audit; "
                             "DROP TABLE admin_keys; PRAGMA user_version = 1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Reopen();
  EXPECT_TRUE(store_->PutPolicy({"acme", 1, "{}", 1}).ok());
  EXPECT_TRUE(store_->CurrentPolicies().ok());
}

}  // namespace
}  // namespace kiln
