#include "kiln/base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>

namespace kiln {
namespace {

// Runs ParallelFor and checks that the chunks tile [0, n) exactly.
void ExpectCoversEachIndexOnce(ThreadPool& pool, int64_t n, int64_t min_chunk) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  pool.ParallelFor(
      n,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
        std::lock_guard<std::mutex> lock(mutex);
        chunks.emplace_back(begin, end);
      },
      min_chunk);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
  if (n == 0) {
    EXPECT_TRUE(chunks.empty());
    return;
  }
  EXPECT_LE(chunks.size(), static_cast<size_t>(pool.num_threads()));
  if (chunks.size() > 1) {
    for (const auto& [begin, end] : chunks) EXPECT_GE(end - begin, min_chunk) << "n=" << n;
  }
}

TEST(ThreadPoolTest, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3, 4, 7, 16}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.num_threads(), threads);
    for (int64_t n : {0, 1, 2, 3, 5, 8, 15, 16, 17, 100, 1000, 4097}) {
      for (int64_t min_chunk : {1, 3, 64, 10000}) ExpectCoversEachIndexOnce(pool, n, min_chunk);
    }
  }
}

TEST(ThreadPoolTest, NonPositiveSizesAreHarmless) {
  ThreadPool pool(0);  // clamped to 1
  EXPECT_EQ(pool.num_threads(), 1);
  ThreadPool four(4);
  bool called = false;
  four.ParallelFor(-5, [&](int64_t, int64_t) { called = true; });
  EXPECT_FALSE(called);
  ExpectCoversEachIndexOnce(four, 10, 0);
}

TEST(ThreadPoolTest, ChunksAreTheSameOnEveryCall) {
  ThreadPool pool(4);
  auto run = [&] {
    std::mutex mutex;
    std::set<std::pair<int64_t, int64_t>> chunks;
    pool.ParallelFor(103, [&](int64_t begin, int64_t end) {
      std::lock_guard<std::mutex> lock(mutex);
      chunks.emplace(begin, end);
    });
    return chunks;
  };
  const auto first = run();
  EXPECT_EQ(first.size(), 4u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(run(), first);
}

TEST(ThreadPoolTest, NestedCallRunsInlineOnTheSameThread) {
  ThreadPool pool(4);
  std::atomic<int> total{0};
  std::atomic<bool> inline_everywhere{true};
  pool.ParallelFor(8, [&](int64_t begin, int64_t end) {
    const auto outer = std::this_thread::get_id();
    for (int64_t i = begin; i < end; ++i) {
      int chunks = 0;
      pool.ParallelFor(10, [&](int64_t b, int64_t e) {
        ++chunks;
        if (std::this_thread::get_id() != outer) inline_everywhere = false;
        total += static_cast<int>(e - b);
      });
      if (chunks != 1) inline_everywhere = false;
    }
  });
  EXPECT_TRUE(inline_everywhere.load());
  EXPECT_EQ(total.load(), 80);
}

TEST(ThreadPoolTest, ConcurrentCallersAreSafe) {
  ThreadPool pool(3);
  constexpr int kCalls = 300;
  auto caller = [&](int64_t n, int64_t* sum) {
    for (int call = 0; call < kCalls; ++call) {
      std::atomic<int64_t> partial{0};
      pool.ParallelFor(n, [&](int64_t begin, int64_t end) {
        int64_t local = 0;
        for (int64_t i = begin; i < end; ++i) local += i;
        partial += local;
      });
      *sum += partial.load();
    }
  };
  int64_t sum_a = 0, sum_b = 0;
  std::thread a(caller, 1000, &sum_a);
  std::thread b(caller, 77, &sum_b);
  a.join();
  b.join();
  EXPECT_EQ(sum_a, int64_t{kCalls} * (999 * 1000 / 2));
  EXPECT_EQ(sum_b, int64_t{kCalls} * (76 * 77 / 2));
}

TEST(ThreadPoolTest, ExceptionOnTheCallingThreadWaitsForWorkers) {
  ThreadPool pool(4);
  std::atomic<int> finished{0};
  EXPECT_THROW(pool.ParallelFor(4,
                                [&](int64_t begin, int64_t) {
                                  if (begin == 0) throw std::runtime_error("chunk 0");
                                  std::this_thread::sleep_for(std::chrono::milliseconds(20));
                                  ++finished;
                                }),
               std::runtime_error);
  EXPECT_EQ(finished.load(), 3);
  // The pool stays usable, and the caller is not left marked as a worker.
  ExpectCoversEachIndexOnce(pool, 100, 1);
  std::atomic<int> chunks{0};
  pool.ParallelFor(4, [&](int64_t, int64_t) { ++chunks; });
  EXPECT_EQ(chunks.load(), 4);
}

TEST(ThreadPoolTest, DefaultPoolIsSharedAndResizable) {
  ThreadPool* seen[2] = {nullptr, nullptr};
  std::thread a([&] { seen[0] = &ThreadPool::Default(); });
  std::thread b([&] { seen[1] = &ThreadPool::Default(); });
  a.join();
  b.join();
  EXPECT_EQ(seen[0], seen[1]);
  const int before = ThreadPool::Default().num_threads();
  ThreadPool::SetDefaultThreads(3);
  EXPECT_EQ(ThreadPool::Default().num_threads(), 3);
  ExpectCoversEachIndexOnce(ThreadPool::Default(), 50, 1);
  ThreadPool::SetDefaultThreads(before);
  EXPECT_EQ(ThreadPool::Default().num_threads(), before);
}

}  // namespace
}  // namespace kiln
