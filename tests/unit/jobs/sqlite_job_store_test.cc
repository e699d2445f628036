#include "kiln/jobs/sqlite_job_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace kiln {
namespace {

// "prefix" + number, built by append: GCC 12 at -O3 warns (-Wrestrict, a
// false positive) on "literal" + std::string.
std::string Id(const char* prefix, int n) {
  std::string id(prefix);
  id += std::to_string(n);
  return id;
}

// Random ids made here: base/crypto is not this layer's test subject.
std::string TestUuid() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  const uint64_t a = rng(), b = rng();
  char text[37];
  std::snprintf(text, sizeof(text), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text;
}

Job MakeJob(const std::string& tenant, int64_t created_ms = 1000) {
  Job job;
  job.id = TestUuid();
  job.tenant = tenant;
  job.request.model = "kiln-shapes";
  job.request.prompt = "a red square";
  job.request.width = 256;
  job.request.height = 256;
  job.request.steps = 4;
  job.created_ms = created_ms;
  return job;
}

void ExpectSameJob(const Job& a, const Job& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.tenant, b.tenant);
  EXPECT_EQ(a.request.model, b.request.model);
  EXPECT_EQ(a.request.prompt, b.request.prompt);
  EXPECT_EQ(a.request.width, b.request.width);
  EXPECT_EQ(a.request.height, b.request.height);
  EXPECT_EQ(a.request.steps, b.request.steps);
  EXPECT_EQ(a.request.guidance, b.request.guidance);
  EXPECT_EQ(a.request.seed, b.request.seed);
  EXPECT_EQ(a.request.safety_tolerance, b.request.safety_tolerance);
  EXPECT_EQ(a.request.output_format, b.request.output_format);
  EXPECT_EQ(a.request.webhook_url, b.request.webhook_url);
  EXPECT_EQ(a.request.webhook_secret, b.request.webhook_secret);
  EXPECT_EQ(a.request.priority, b.request.priority);
  EXPECT_EQ(a.request.deadline_ms, b.request.deadline_ms);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.created_ms, b.created_ms);
  EXPECT_EQ(a.started_ms, b.started_ms);
  EXPECT_EQ(a.finished_ms, b.finished_ms);
  EXPECT_EQ(a.progress, b.progress);
  EXPECT_EQ(a.blob_key, b.blob_key);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.details_json, b.details_json);
  EXPECT_EQ(a.traceparent, b.traceparent);
  EXPECT_EQ(a.idempotency_key, b.idempotency_key);
}

class SqliteJobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "kiln_store_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/var/jobs.db";  // the parent directory is created by Open
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(SqliteStoreOptions options = {}) {
    store_.reset();  // closes the old store first, as a restart would
    auto store = SqliteJobStore::Open(path_, options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<SqliteJobStore> store_;
};

TEST_F(SqliteJobStoreTest, InsertAndGetRoundTripEveryField) {
  Job job = MakeJob("acme", 1'700'000'000'123);
  job.request.prompt = "ein Fuchs im Schnee, 雪の中の狐 — \"quoted\" 'and' ; DROP TABLE jobs;";
  job.request.width = 1024;
  job.request.height = 768;
  job.request.steps = 28;
  job.request.guidance = 3.5f;
  job.request.seed = 0xfedcba9876543210ULL;  // above INT64_MAX: the bit pattern must survive
  job.request.safety_tolerance = 6;
  job.request.output_format = "webp";
  job.request.webhook_url = "http://hooks.example.com/kiln?x=1";
  job.request.webhook_secret = "s3cret";
  job.request.priority = 3;
  job.request.deadline_ms = 1'700'000'060'000;
  job.progress = 0.25;
  job.details_json = R"({"reasons":["none"]})";
  job.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  job.idempotency_key = "client-key-1";

  auto inserted = store_->Insert(job);
  ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
  ExpectSameJob(*inserted, job);
  auto got = store_->Get(job.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectSameJob(*got, job);

  // And after a restart.
  Reopen();
  got = store_->Get(job.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectSameJob(*got, job);
}

TEST_F(SqliteJobStoreTest, GetOfAnUnknownJobIsNotFound) {
  EXPECT_EQ(store_->Get("no-such-job").status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteJobStoreTest, InsertNeedsIdAndTenant) {
  Job job = MakeJob("acme");
  job.id.clear();
  EXPECT_EQ(store_->Insert(job).status().code(), StatusCode::kInvalidArgument);
  job = MakeJob("");
  EXPECT_EQ(store_->Insert(job).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SqliteJobStoreTest, DuplicateIdIsRefused) {
  const Job job = MakeJob("acme");
  ASSERT_TRUE(store_->Insert(job).ok());
  Job again = MakeJob("acme");
  again.id = job.id;
  EXPECT_EQ(store_->Insert(again).status().code(), StatusCode::kAlreadyExists);
  // The store still works after the failed statement.
  EXPECT_TRUE(store_->Insert(MakeJob("acme")).ok());
}

TEST_F(SqliteJobStoreTest, IdempotencyKeyReturnsTheExistingJob) {
  Job first = MakeJob("acme");
  first.idempotency_key = "k1";
  ASSERT_TRUE(store_->Insert(first).ok());

  Job second = MakeJob("acme");
  second.idempotency_key = "k1";
  second.request.prompt = "something else";
  auto result = store_->Insert(second);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->id, first.id);
  EXPECT_EQ(result->request.prompt, first.request.prompt);
  EXPECT_EQ(store_->Get(second.id).status().code(), StatusCode::kNotFound);

  // The key is per tenant.
  Job other = MakeJob("globex");
  other.idempotency_key = "k1";
  result = store_->Insert(other);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->id, other.id);

  // No key: never deduplicated.
  const Job a = MakeJob("acme"), b = MakeJob("acme");
  EXPECT_EQ(store_->Insert(a)->id, a.id);
  EXPECT_EQ(store_->Insert(b)->id, b.id);
}

TEST_F(SqliteJobStoreTest, IdempotencyKeyHoldsWithinOneGroup) {
  // Fired without waiting, these land in one or a few group transactions.
  constexpr int kCount = 50;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> ids;
  for (int i = 0; i < kCount; ++i) {
    Job job = MakeJob("acme");
    job.idempotency_key = "same";
    store_->InsertAsync(job, [&](const Status& status, const Job& stored) {
      EXPECT_TRUE(status.ok()) << status.ToString();
      std::lock_guard<std::mutex> lock(mu);
      ids.push_back(stored.id);
      cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return ids.size() == kCount; });
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u);
  auto unfinished = store_->Unfinished();
  ASSERT_TRUE(unfinished.ok());
  EXPECT_EQ(unfinished->size(), 1u);
}

TEST_F(SqliteJobStoreTest, JobsFinishExactlyOnce) {
  const Job job = MakeJob("acme");
  ASSERT_TRUE(store_->Insert(job).ok());
  ASSERT_TRUE(store_->MarkRunning(job.id, 2000).ok());
  EXPECT_EQ(store_->MarkRunning(job.id, 2001).code(), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(store_->Finish(job.id, JobState::kReady, 3000, "acme/x.jpeg", "", "").ok());
  const Status again = store_->Finish(job.id, JobState::kError, 3001, "", "boom", "");
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.message().find("ready"), std::string::npos) << again.message();
  EXPECT_EQ(store_->MarkRunning(job.id, 2002).code(), StatusCode::kFailedPrecondition);

  auto got = store_->Get(job.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, JobState::kReady);
  EXPECT_EQ(got->started_ms, 2000);
  EXPECT_EQ(got->finished_ms, 3000);
  EXPECT_EQ(got->blob_key, "acme/x.jpeg");
  EXPECT_EQ(got->error, "");
  EXPECT_EQ(got->progress, 1.0);
}

TEST_F(SqliteJobStoreTest, FinishChecksItsArguments) {
  EXPECT_EQ(store_->Finish("nope", JobState::kError, 1, "", "x", "").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->MarkRunning("nope", 1).code(), StatusCode::kNotFound);
  const Job job = MakeJob("acme");
  ASSERT_TRUE(store_->Insert(job).ok());
  EXPECT_EQ(store_->Finish(job.id, JobState::kRunning, 1, "", "", "").code(), StatusCode::kInvalidArgument);
  // A queued job can be cancelled directly.
  ASSERT_TRUE(store_->Finish(job.id, JobState::kCancelled, 5, "", "cancelled by the client", R"({"by":"client"})").ok());
  auto got = store_->Get(job.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, JobState::kCancelled);
  EXPECT_EQ(got->error, "cancelled by the client");
  EXPECT_EQ(got->details_json, R"({"by":"client"})");
}

TEST_F(SqliteJobStoreTest, ConcurrentFinishesLetExactlyOneWin) {
  const Job job = MakeJob("acme");
  ASSERT_TRUE(store_->Insert(job).ok());
  std::atomic<int> wins{0}, refusals{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      const Status s = store_->Finish(job.id, i % 2 ? JobState::kReady : JobState::kCancelled, 100 + i, "", "", "");
      if (s.ok()) ++wins;
      if (s.code() == StatusCode::kFailedPrecondition) ++refusals;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(refusals.load(), 7);
}

TEST_F(SqliteJobStoreTest, ProgressIsStoredForRunningJobsOnly) {
  const Job job = MakeJob("acme");
  ASSERT_TRUE(store_->Insert(job).ok());
  ASSERT_TRUE(store_->UpdateProgress(job.id, 0.3).ok());  // queued: ignored
  ASSERT_TRUE(store_->MarkRunning(job.id, 10).ok());       // also waits for the write above
  EXPECT_EQ(store_->Get(job.id)->progress, 0.0);
  ASSERT_TRUE(store_->UpdateProgress(job.id, 0.5).ok());
  // Writes are applied in order: a later durable write implies the earlier one.
  ASSERT_TRUE(store_->PutTenant(Tenant{"acme", 0, 0, 0, 0}).ok());
  EXPECT_EQ(store_->Get(job.id)->progress, 0.5);
}

TEST_F(SqliteJobStoreTest, UnfinishedJobsSurviveARestart) {
  const Job late = MakeJob("acme", 3000);
  const Job early = MakeJob("acme", 1000);
  const Job middle = MakeJob("globex", 2000);
  const Job done = MakeJob("acme", 500);
  for (const Job& job : {late, early, middle, done}) ASSERT_TRUE(store_->Insert(job).ok());
  ASSERT_TRUE(store_->MarkRunning(middle.id, 2500).ok());
  ASSERT_TRUE(store_->Finish(done.id, JobState::kError, 600, "", "failed", "").ok());

  Reopen();
  auto unfinished = store_->Unfinished();
  ASSERT_TRUE(unfinished.ok()) << unfinished.status().ToString();
  ASSERT_EQ(unfinished->size(), 3u);
  EXPECT_EQ((*unfinished)[0].id, early.id);
  EXPECT_EQ((*unfinished)[1].id, middle.id);
  EXPECT_EQ((*unfinished)[1].state, JobState::kRunning);
  EXPECT_EQ((*unfinished)[2].id, late.id);
  EXPECT_EQ((*unfinished)[2].state, JobState::kQueued);
  // The finished one finished once, for good.
  EXPECT_EQ(store_->Finish(done.id, JobState::kReady, 700, "k", "", "").code(), StatusCode::kFailedPrecondition);
}

TEST_F(SqliteJobStoreTest, ConcurrentAsyncInsertsAreAllDurable) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::atomic<int> ok{0}, failed{0};
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Job job = MakeJob(Id("tenant", t), t * kPerThread + i);
        store_->InsertAsync(std::move(job), [&](const Status& status, const Job&) {
          (status.ok() ? ok : failed)++;
          std::lock_guard<std::mutex> lock(mu);
          ++done;
          cv.notify_all();
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done == kThreads * kPerThread; });
  }
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);

  Reopen();
  auto unfinished = store_->Unfinished();
  ASSERT_TRUE(unfinished.ok());
  EXPECT_EQ(unfinished->size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_F(SqliteJobStoreTest, TenantsAndApiKeys) {
  Tenant acme{"acme", 5.0, 10.0, 20, 3};
  ASSERT_TRUE(store_->PutTenant(acme).ok());
  auto got = store_->GetTenant("acme");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->name, "acme");
  EXPECT_EQ(got->rate_per_second, 5.0);
  EXPECT_EQ(got->burst, 10.0);
  EXPECT_EQ(got->max_active, 20);
  EXPECT_EQ(got->max_priority, 3);
  acme.max_active = 7;
  ASSERT_TRUE(store_->PutTenant(acme).ok());  // an update, not a second row
  EXPECT_EQ(store_->GetTenant("acme")->max_active, 7);
  EXPECT_EQ(store_->GetTenant("nobody").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->PutTenant(Tenant{}).code(), StatusCode::kInvalidArgument);

  const std::string key(64, 'a');
  const std::string other_key = std::string(63, 'b') + "0";
  ASSERT_TRUE(store_->AddApiKey(key, "acme").ok());
  EXPECT_TRUE(store_->AddApiKey(key, "acme").ok());  // again, same tenant
  EXPECT_EQ(store_->AddApiKey(key, "globex").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->AddApiKey("not-a-hash", "acme").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AddApiKey(std::string(64, 'A'), "acme").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->TenantForKey(key).value(), "acme");
  EXPECT_EQ(store_->TenantForKey(other_key).status().code(), StatusCode::kNotFound);

  Reopen();
  EXPECT_EQ(store_->TenantForKey(key).value(), "acme");
  EXPECT_EQ(store_->GetTenant("acme")->max_active, 7);
}

TEST_F(SqliteJobStoreTest, WebhookAttemptsAreKeptInOrder) {
  const Job job = MakeJob("acme");
  ASSERT_TRUE(store_->Insert(job).ok());
  ASSERT_TRUE(store_->RecordWebhookAttempt({job.id, 2, 2000, 200, ""}).ok());
  ASSERT_TRUE(store_->RecordWebhookAttempt({job.id, 1, 1000, 0, "connection refused"}).ok());
  EXPECT_EQ(store_->RecordWebhookAttempt({job.id, 0, 1, 0, ""}).code(), StatusCode::kInvalidArgument);
  auto attempts = store_->WebhookAttempts(job.id);
  ASSERT_TRUE(attempts.ok()) << attempts.status().ToString();
  ASSERT_EQ(attempts->size(), 2u);
  EXPECT_EQ((*attempts)[0].attempt, 1);
  EXPECT_EQ((*attempts)[0].at_ms, 1000);
  EXPECT_EQ((*attempts)[0].http_status, 0);
  EXPECT_EQ((*attempts)[0].error, "connection refused");
  EXPECT_EQ((*attempts)[1].attempt, 2);
  EXPECT_EQ((*attempts)[1].http_status, 200);
  EXPECT_EQ((*attempts)[1].job_id, job.id);
  EXPECT_TRUE(store_->WebhookAttempts("other")->empty());
}

TEST_F(SqliteJobStoreTest, NormalSynchronousModeWorksToo) {
  SqliteStoreOptions options;
  options.synchronous_full = false;
  options.max_group = 1;
  Reopen(options);
  const Job job = MakeJob("acme");
  ASSERT_TRUE(store_->Insert(job).ok());
  EXPECT_EQ(store_->Get(job.id)->id, job.id);
}

TEST_F(SqliteJobStoreTest, ANewerSchemaIsRefused) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = SqliteJobStore::Open(path_);
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("99"), std::string::npos) << store.status().message();
}

TEST_F(SqliteJobStoreTest, NotADatabaseIsAnError) {
  store_.reset();
  std::filesystem::remove_all(dir_ + "/var");
  std::filesystem::create_directories(dir_ + "/var");
  {
    FILE* f = std::fopen(path_.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string junk(8192, 'x');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  auto store = SqliteJobStore::Open(path_);
  EXPECT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
}

}  // namespace
}  // namespace kiln
