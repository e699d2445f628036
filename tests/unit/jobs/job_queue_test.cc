#include "kiln/jobs/job_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

namespace kiln {
namespace {

// "prefix" + number, built by append: GCC 12 at -O3 warns (-Wrestrict, a
// false positive) on "literal" + std::string.
std::string Id(const char* prefix, int n) {
  std::string id(prefix);
  id += std::to_string(n);
  return id;
}

using std::chrono::microseconds;
using std::chrono::milliseconds;

const BatchKey kSmall{"kiln-shapes", 256, 256, 4, 3.5f};
const BatchKey kLarge{"kiln-shapes", 512, 512, 4, 3.5f};

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

QueuedJob Q(const std::string& id, const std::string& tenant, int priority = 0, BatchKey key = kSmall,
            int64_t deadline_ms = 0) {
  return QueuedJob{id, tenant, priority, std::move(key), deadline_ms};
}

// Pops one job at a time with no waiting.
std::string PopOne(JobQueue& queue) {
  Batch batch = queue.PopBatch(1, microseconds(0));
  EXPECT_EQ(batch.jobs.size(), 1u);
  return batch.jobs.empty() ? "" : batch.jobs[0].id;
}

TEST(JobQueueTest, EachTenantIsFifo) {
  JobQueue queue(100);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(queue.Push(Q(Id("a", i), "A")).ok());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(PopOne(queue), Id("a", i));
  EXPECT_EQ(queue.size(), 0u);
}

TEST(JobQueueTest, AFloodingTenantDoesNotStarveAnother) {
  JobQueue queue(1000);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(queue.Push(Q(Id("a", i), "A")).ok());
  ASSERT_TRUE(queue.Push(Q("b0", "B")).ok());
  const std::string first = PopOne(queue);
  const std::string second = PopOne(queue);
  EXPECT_TRUE(first == "b0" || second == "b0") << first << " " << second;
  EXPECT_EQ(first, "a0");
  // A's jobs keep their order around B's.
  EXPECT_EQ(PopOne(queue), "a1");
}

TEST(JobQueueTest, TenantsTakeTurns) {
  JobQueue queue(100);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue.Push(Q(Id("a", i), "A")).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue.Push(Q(Id("b", i), "B")).ok());
  ASSERT_TRUE(queue.Push(Q("c0", "C")).ok());
  std::vector<std::string> order;
  for (int i = 0; i < 7; ++i) order.push_back(PopOne(queue));
  EXPECT_EQ(order, (std::vector<std::string>{"a0", "b0", "c0", "a1", "b1", "a2", "b2"}));
}

TEST(JobQueueTest, HigherPriorityFirst) {
  JobQueue queue(100);
  ASSERT_TRUE(queue.Push(Q("low", "A", 0)).ok());
  ASSERT_TRUE(queue.Push(Q("high", "B", 5)).ok());
  ASSERT_TRUE(queue.Push(Q("mid", "A", 2)).ok());
  ASSERT_TRUE(queue.Push(Q("negative", "C", -1)).ok());
  EXPECT_EQ(PopOne(queue), "high");
  EXPECT_EQ(PopOne(queue), "mid");
  EXPECT_EQ(PopOne(queue), "low");
  EXPECT_EQ(PopOne(queue), "negative");
}

TEST(JobQueueTest, BatchesCompatibleJobsUpToMaxBatch) {
  JobQueue queue(100);
  ASSERT_TRUE(queue.Push(Q("s1", "A", 0, kSmall)).ok());
  ASSERT_TRUE(queue.Push(Q("l1", "A", 0, kLarge)).ok());
  ASSERT_TRUE(queue.Push(Q("s2", "B", 0, kSmall)).ok());
  ASSERT_TRUE(queue.Push(Q("s3", "A", 0, kSmall)).ok());
  ASSERT_TRUE(queue.Push(Q("l2", "B", 0, kLarge)).ok());
  ASSERT_TRUE(queue.Push(Q("s4", "C", 0, kSmall)).ok());

  Batch batch = queue.PopBatch(3, microseconds(0));
  ASSERT_EQ(batch.jobs.size(), 3u);
  EXPECT_EQ(batch.jobs[0].id, "s1");
  for (const QueuedJob& job : batch.jobs) EXPECT_EQ(job.key, kSmall);
  EXPECT_TRUE(batch.expired.empty());
  // The incompatible ones stay, and so does the compatible one beyond max_batch.
  EXPECT_EQ(queue.size(), 3u);
  batch = queue.PopBatch(8, microseconds(0));
  ASSERT_FALSE(batch.jobs.empty());
  const BatchKey key = batch.jobs[0].key;
  for (const QueuedJob& job : batch.jobs) EXPECT_EQ(job.key, key);
  batch = queue.PopBatch(8, microseconds(0));
  EXPECT_EQ(queue.size(), 0u);
}

TEST(JobQueueTest, BatchWaitsForMaxDelayThenReturnsWhatItHas) {
  JobQueue queue(100);
  ASSERT_TRUE(queue.Push(Q("s1", "A")).ok());
  const auto start = std::chrono::steady_clock::now();
  Batch batch = queue.PopBatch(4, milliseconds(50));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(batch.jobs.size(), 1u);
  EXPECT_GE(waited, milliseconds(45));  // a lower bound only: never a tight timing
}

TEST(JobQueueTest, BatchPicksUpJobsPushedWhileItWaits) {
  JobQueue queue(100);
  ASSERT_TRUE(queue.Push(Q("s1", "A")).ok());
  std::thread pusher([&] {
    std::this_thread::sleep_for(milliseconds(20));
    ASSERT_TRUE(queue.Push(Q("l1", "B", 0, kLarge)).ok());
    ASSERT_TRUE(queue.Push(Q("s2", "B")).ok());
  });
  // Returns as soon as the batch is full: long before the 60 s delay.
  Batch batch = queue.PopBatch(2, std::chrono::seconds(60));
  pusher.join();
  ASSERT_EQ(batch.jobs.size(), 2u);
  EXPECT_EQ(batch.jobs[1].id, "s2");
  EXPECT_EQ(queue.size(), 1u);
}

TEST(JobQueueTest, ExpiredJobsAreHandedBackNotRun) {
  JobQueue queue(100);
  const int64_t past = NowMs() - 1000;
  const int64_t future = NowMs() + 3'600'000;
  ASSERT_TRUE(queue.Push(Q("old1", "A", 0, kSmall, past)).ok());
  ASSERT_TRUE(queue.Push(Q("fresh", "A", 0, kSmall, future)).ok());
  ASSERT_TRUE(queue.Push(Q("old2", "B", 0, kLarge, past)).ok());
  ASSERT_TRUE(queue.Push(Q("none", "C", 0, kSmall, 0)).ok());
  Batch batch = queue.PopBatch(8, microseconds(0));
  std::set<std::string> run, expired;
  for (const auto& job : batch.jobs) run.insert(job.id);
  for (const auto& job : batch.expired) expired.insert(job.id);
  EXPECT_EQ(run, (std::set<std::string>{"fresh", "none"}));
  EXPECT_EQ(expired, (std::set<std::string>{"old1", "old2"}));
  EXPECT_EQ(queue.size(), 0u);
}

TEST(JobQueueTest, OnlyExpiredJobsComeBackWithoutWaiting) {
  JobQueue queue(100);
  ASSERT_TRUE(queue.Push(Q("old", "A", 0, kSmall, NowMs() - 1)).ok());
  Batch batch = queue.PopBatch(8, std::chrono::seconds(60));
  EXPECT_TRUE(batch.jobs.empty());
  ASSERT_EQ(batch.expired.size(), 1u);
  EXPECT_EQ(batch.expired[0].id, "old");
}

TEST(JobQueueTest, CapacityBoundsPushButNotRecovery) {
  JobQueue queue(2);
  EXPECT_EQ(queue.capacity(), 2u);
  ASSERT_TRUE(queue.Push(Q("1", "A")).ok());
  ASSERT_TRUE(queue.Push(Q("2", "A")).ok());
  const Status full = queue.Push(Q("3", "A"));
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.message().find("full"), std::string::npos);
  queue.PushRecovered(Q("r", "A"));
  EXPECT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.Push(Q("1", "B")).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(PopOne(queue), "1");
  EXPECT_EQ(PopOne(queue), "2");
  EXPECT_TRUE(queue.Push(Q("1", "B")).ok());  // room again: one waiting of two
}

TEST(JobQueueTest, DuplicateIdsAreRefused) {
  JobQueue queue(10);
  ASSERT_TRUE(queue.Push(Q("1", "A")).ok());
  EXPECT_EQ(queue.Push(Q("1", "B")).code(), StatusCode::kAlreadyExists);
  queue.PushRecovered(Q("1", "A"));
  EXPECT_EQ(queue.size(), 1u);
}

TEST(JobQueueTest, RemoveTakesAWaitingJobOut) {
  JobQueue queue(10);
  ASSERT_TRUE(queue.Push(Q("a0", "A")).ok());
  ASSERT_TRUE(queue.Push(Q("a1", "A")).ok());
  ASSERT_TRUE(queue.Push(Q("b0", "B")).ok());
  EXPECT_TRUE(queue.Remove("a0"));
  EXPECT_FALSE(queue.Remove("a0"));
  EXPECT_FALSE(queue.Remove("unknown"));
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.CountForTenant("A"), 1u);
  // A keeps its turn: a cancel is not a served job.
  EXPECT_EQ(PopOne(queue), "a1");
  EXPECT_EQ(PopOne(queue), "b0");
  EXPECT_TRUE(queue.Push(Q("b1", "B")).ok());
  EXPECT_TRUE(queue.Remove("b1"));
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_EQ(queue.CountForTenant("B"), 0u);
}

TEST(JobQueueTest, PositionOfFollowsTheFairOrder) {
  JobQueue queue(100);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue.Push(Q(Id("a", i), "A")).ok());
  ASSERT_TRUE(queue.Push(Q("b0", "B")).ok());
  ASSERT_TRUE(queue.Push(Q("b1", "B")).ok());
  ASSERT_TRUE(queue.Push(Q("urgent", "C", 9)).ok());
  // Order: urgent, a0, b0, a1, b1, a2.
  EXPECT_EQ(queue.PositionOf("urgent"), 0);
  EXPECT_EQ(queue.PositionOf("a0"), 1);
  EXPECT_EQ(queue.PositionOf("b0"), 2);
  EXPECT_EQ(queue.PositionOf("a1"), 3);
  EXPECT_EQ(queue.PositionOf("b1"), 4);
  EXPECT_EQ(queue.PositionOf("a2"), 5);
  EXPECT_EQ(queue.PositionOf("nope"), -1);
  // And the pops agree.
  for (const char* id : {"urgent", "a0", "b0", "a1", "b1", "a2"}) EXPECT_EQ(PopOne(queue), id);
}

TEST(JobQueueTest, CountForTenant) {
  JobQueue queue(100);
  ASSERT_TRUE(queue.Push(Q("a0", "A")).ok());
  ASSERT_TRUE(queue.Push(Q("a1", "A", 3)).ok());
  ASSERT_TRUE(queue.Push(Q("b0", "B")).ok());
  EXPECT_EQ(queue.CountForTenant("A"), 2u);
  EXPECT_EQ(queue.CountForTenant("B"), 1u);
  EXPECT_EQ(queue.CountForTenant("C"), 0u);
  PopOne(queue);
  EXPECT_EQ(queue.CountForTenant("A"), 1u);
}

TEST(JobQueueTest, ShutdownUnblocksPopAndRefusesPush) {
  JobQueue queue(10);
  std::atomic<bool> returned{false};
  Batch batch;
  std::thread popper([&] {
    batch = queue.PopBatch(4, milliseconds(10));
    returned = true;
  });
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_FALSE(returned.load());
  queue.Shutdown();
  popper.join();
  EXPECT_TRUE(batch.jobs.empty());
  EXPECT_TRUE(batch.expired.empty());
  EXPECT_EQ(queue.Push(Q("x", "A")).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(queue.PopBatch(1, microseconds(0)).jobs.empty());
}

TEST(JobQueueTest, ManyProducersAndConsumersLoseNothing) {
  JobQueue queue(100000);
  constexpr int kProducers = 4, kPerProducer = 500;
  std::atomic<int> popped{0};
  std::vector<std::thread> consumers;
  std::mutex mu;
  std::set<std::string> seen;
  for (int c = 0; c < 3; ++c) {
    consumers.emplace_back([&] {
      for (;;) {
        Batch batch = queue.PopBatch(4, microseconds(100));
        if (batch.jobs.empty() && batch.expired.empty()) return;
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& job : batch.jobs) EXPECT_TRUE(seen.insert(job.id).second);
        popped += static_cast<int>(batch.jobs.size());
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        ASSERT_TRUE(queue.Push(Q(Id(Id("p", p).append("-").c_str(), i), Id("T", i % 5), i % 3,
                                 i % 2 ? kSmall : kLarge))
                        .ok());
      }
    });
  }
  for (auto& t : producers) t.join();
  while (popped.load() < kProducers * kPerProducer) std::this_thread::sleep_for(milliseconds(1));
  queue.Shutdown();
  for (auto& t : consumers) t.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kProducers * kPerProducer));
}

}  // namespace
}  // namespace kiln
