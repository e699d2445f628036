// ThreadPool: the one pool that all CPU kernels share.
//
// ParallelFor splits [0, n) into at most num_threads() contiguous chunks and
// runs them on the pool's workers plus the calling thread, returning when all
// are done. Chunks are static (chunk i always goes to thread i) so results do
// not depend on scheduling. Calls from several threads at once are serialised;
// a ParallelFor issued from inside a chunk runs inline (no nested parallelism).
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln {

class ThreadPool {
 public:
  // num_threads counts the calling thread: 1 means everything runs inline.
  // REQUIRES: num_threads >= 1
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // fn(begin, end) over chunks of [0, n); chunks hold at least min_chunk items.
  // An exception from the calling thread's chunk is rethrown once every chunk
  // has finished; one from a worker's chunk terminates the process.
  void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                   int64_t min_chunk = 1);

  // The process-wide pool used by default; sized by SetDefaultThreads or,
  // before that, by the number of online CPUs.
  static ThreadPool& Default();
  // Replaces the default pool. Not thread-safe with concurrent kernel calls:
  // call at start-up (the CLI's --threads flag does).
  static void SetDefaultThreads(int num_threads);

 private:
  void WorkerLoop(int index);

  const int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // serialises ParallelFor callers

  std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  uint64_t generation_ = 0;  // guarded by mutex_
  int pending_ = 0;          // guarded by mutex_
  bool stop_ = false;        // guarded by mutex_
  const std::function<void(int64_t, int64_t)>* task_ = nullptr;
  int64_t task_n_ = 0;
  int task_chunks_ = 0;
};

}  // namespace kiln
