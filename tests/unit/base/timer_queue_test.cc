#include "kiln/base/timer_queue.h"

#include <atomic>
#include <vector>

#include <gtest/gtest.h>

namespace kiln {
namespace {

using namespace std::chrono_literals;

// Waits (bounded) until pred holds.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 2000 && !pred(); ++i) std::this_thread::sleep_for(1ms);
  return pred();
}

TEST(TimerQueueTest, RunsInTimeOrder) {
  TimerQueue q;
  std::mutex m;
  std::vector<int> order;
  const auto now = TimerQueue::Clock::now();
  q.Schedule(now + 30ms, [&] { std::lock_guard<std::mutex> l(m); order.push_back(3); });
  q.Schedule(now + 10ms, [&] { std::lock_guard<std::mutex> l(m); order.push_back(1); });
  q.Schedule(now + 20ms, [&] { std::lock_guard<std::mutex> l(m); order.push_back(2); });
  ASSERT_TRUE(Eventually([&] { std::lock_guard<std::mutex> l(m); return order.size() == 3; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(TimerQueueTest, NeverRunsBeforeItsTime) {
  TimerQueue q;
  std::atomic<bool> ran{false};
  const auto due = TimerQueue::Clock::now() + 50ms;
  std::atomic<int64_t> ran_at{0};
  q.Schedule(due, [&] {
    ran_at = TimerQueue::Clock::now().time_since_epoch().count();
    ran = true;
  });
  ASSERT_TRUE(Eventually([&] { return ran.load(); }));
  EXPECT_GE(ran_at.load(), due.time_since_epoch().count());
}

TEST(TimerQueueTest, CancelledTimersDoNotRun) {
  TimerQueue q;
  std::atomic<int> runs{0};
  const uint64_t id = q.Schedule(TimerQueue::Clock::now() + 20ms, [&] { ++runs; });
  EXPECT_TRUE(q.Cancel(id));
  EXPECT_FALSE(q.Cancel(id));
  q.Schedule(TimerQueue::Clock::now() + 40ms, [&] { runs += 10; });
  ASSERT_TRUE(Eventually([&] { return runs.load() == 10; }));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(runs.load(), 10);
}

TEST(TimerQueueTest, DestructorDropsPendingTimers) {
  std::atomic<int> runs{0};
  {
    TimerQueue q;
    q.Schedule(TimerQueue::Clock::now() + std::chrono::hours(1), [&] { ++runs; });
  }
  EXPECT_EQ(runs.load(), 0);
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

// Cancelling the timer the queue is waiting for (found by ASan in the sync
// mode of the API: the wait must not read the erased timer).
TEST(TimerQueueTest, CancelTheTimerBeingWaitedFor) {
  TimerQueue q;
  for (int i = 0; i < 50; ++i) {
    const uint64_t id = q.Schedule(TimerQueue::Clock::now() + std::chrono::milliseconds(200), [] {});
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // the queue is now waiting for it
    EXPECT_TRUE(q.Cancel(id));
  }
  std::atomic<bool> ran{false};
  q.Schedule(TimerQueue::Clock::now() + std::chrono::milliseconds(5), [&] { ran = true; });
  for (int i = 0; i < 2000 && !ran; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(ran.load());
}

}  // namespace
}  // namespace kiln
