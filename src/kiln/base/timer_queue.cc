#include "kiln/base/timer_queue.h"

namespace kiln {

TimerQueue::TimerQueue() : thread_([this] { Run(); }) {}

TimerQueue::~TimerQueue() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

uint64_t TimerQueue::Schedule(Clock::time_point when, std::function<void()> fn) {
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    id = next_id_++;
    timers_.emplace(std::make_pair(when, id), std::move(fn));
    when_by_id_.emplace(id, when);
  }
  wake_.notify_all();
  return id;
}

bool TimerQueue::Cancel(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = when_by_id_.find(id);
  if (it == when_by_id_.end()) return false;
  timers_.erase(std::make_pair(it->second, id));
  when_by_id_.erase(it);
  return true;
}

void TimerQueue::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (timers_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto first = timers_.begin();
    // A copy: while waiting (unlocked) a Cancel may erase this timer.
    const Clock::time_point due = first->first.first;
    if (due > Clock::now()) {
      wake_.wait_until(lock, due);
      continue;
    }
    std::function<void()> fn = std::move(first->second);
    when_by_id_.erase(first->first.second);
    timers_.erase(first);
    lock.unlock();  // callbacks may schedule or cancel
    fn();
    lock.lock();
  }
}

}  // namespace kiln
