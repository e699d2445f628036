// TimerQueue: runs callbacks at given times on one background thread — for
// waits that must not hold a thread each (the API's `Prefer: wait=N`).
// Callbacks run on the queue's thread and must be short. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace kiln {

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;

  TimerQueue();
  // Stops the thread; callbacks not yet due never run.
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs fn at (or soon after) when. Returns an id for Cancel.
  uint64_t Schedule(Clock::time_point when, std::function<void()> fn);
  // True when fn had not started yet and now never will.
  bool Cancel(uint64_t id);

 private:
  void Run();

  std::mutex mutex_;
  std::condition_variable wake_;
  // (when, id) → callback; ordered by time, then by scheduling order.
  std::map<std::pair<Clock::time_point, uint64_t>, std::function<void()>> timers_;  // guarded by mutex_
  std::map<uint64_t, Clock::time_point> when_by_id_;                                 // guarded by mutex_
  uint64_t next_id_ = 1;                                                             // guarded by mutex_
  bool stop_ = false;                                                                // guarded by mutex_
  std::thread thread_;
};

}  // namespace kiln
