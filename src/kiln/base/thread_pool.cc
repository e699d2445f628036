#include "kiln/base/thread_pool.h"

#include <algorithm>
#include <exception>
#include <memory>

namespace kiln {
namespace {
thread_local bool t_inside_pool_task = false;

// The default pool is created lazily, possibly by two threads at once.
std::mutex g_default_mutex;
std::unique_ptr<ThreadPool> g_default_pool;  // guarded by g_default_mutex

void ChunkBounds(int64_t n, int chunks, int i, int64_t* begin, int64_t* end) {
  const int64_t base = n / chunks, extra = n % chunks;
  *begin = i * base + std::min<int64_t>(i, extra);
  *end = *begin + base + (i < extra ? 1 : 0);
}
}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                             int64_t min_chunk) {
  if (n <= 0) return;
  const int64_t by_size = std::max<int64_t>(1, n / std::max<int64_t>(1, min_chunk));
  const int chunks = static_cast<int>(std::min<int64_t>(num_threads_, by_size));
  if (chunks <= 1 || t_inside_pool_task) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> call_lock(call_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &fn;
    task_n_ = n;
    task_chunks_ = chunks;
    pending_ = chunks - 1;
    ++generation_;
  }
  work_cv_.notify_all();
  int64_t begin, end;
  ChunkBounds(n, chunks, 0, &begin, &end);
  // The workers hold a pointer to fn: even if our chunk throws, wait for
  // theirs before fn can go out of scope, then rethrow.
  std::exception_ptr error;
  t_inside_pool_task = true;
  try {
    fn(begin, end);
  } catch (...) {
    error = std::current_exception();
  }
  t_inside_pool_task = false;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

void ThreadPool::WorkerLoop(int index) {
  t_inside_pool_task = true;
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int64_t, int64_t)>* task;
    int64_t n;
    int chunks;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      task = task_;
      n = task_n_;
      chunks = task_chunks_;
    }
    if (index < chunks) {
      int64_t begin, end;
      ChunkBounds(n, chunks, index, &begin, &end);
      (*task)(begin, end);
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

ThreadPool& ThreadPool::Default() {
  std::lock_guard<std::mutex> lock(g_default_mutex);
  if (!g_default_pool) {
    const unsigned hw = std::thread::hardware_concurrency();
    g_default_pool = std::make_unique<ThreadPool>(hw == 0 ? 1 : static_cast<int>(hw));
  }
  return *g_default_pool;
}

void ThreadPool::SetDefaultThreads(int num_threads) {
  auto pool = std::make_unique<ThreadPool>(num_threads);
  std::lock_guard<std::mutex> lock(g_default_mutex);
  g_default_pool = std::move(pool);
}

}  // namespace kiln
