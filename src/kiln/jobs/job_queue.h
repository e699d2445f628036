// JobQueue: the bounded in-process queue between the API and the workers,
// with Triton-style dynamic batching and fairness across tenants.
//
// Order: higher priority first; within a priority, tenants take turns
// (round-robin over the tenants that have jobs waiting), and each tenant's
// jobs are FIFO. One tenant flooding the queue therefore delays another
// tenant's next job by at most one job per flooding tenant.
//
// PopBatch takes the next job in that order, then adds compatible jobs (same
// BatchKey) in the same order until max_batch is reached or max_delay has
// passed since the first job was taken. Jobs whose deadline has passed are
// handed back separately so the worker can fail them with a clear error.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kiln/base/status.h"

namespace kiln {

// Jobs that can share one batched forward pass.
struct BatchKey {
  std::string model;
  int width = 0;
  int height = 0;
  int steps = 0;
  float guidance = 0.0f;
  bool operator==(const BatchKey&) const = default;
};

struct QueuedJob {
  std::string id;
  std::string tenant;
  int priority = 0;
  BatchKey key;
  int64_t deadline_ms = 0;  // unix ms; 0: none
};

struct Batch {
  // All with the same key. Empty on shutdown, or when every job taken had
  // expired (then expired is not empty: the worker fails those and pops again).
  std::vector<QueuedJob> jobs;
  std::vector<QueuedJob> expired;  // deadline passed while queued
};

class JobQueue {
 public:
  // capacity: the most jobs waiting at once (the global queue bound).
  explicit JobQueue(size_t capacity);

  // ResourceExhausted when the queue is full; AlreadyExists when a job with
  // this id is waiting already. Never blocks.
  Status Push(QueuedJob job);
  // Re-queues jobs found unfinished after a restart; ignores the capacity so
  // nothing accepted is lost.
  void PushRecovered(QueuedJob job);
  // Removes a waiting job (cancel). False when it is not waiting.
  bool Remove(std::string_view id);

  // Blocks until a job is waiting (or Shutdown), then batches as described
  // above. Returns an empty batch (no jobs, no expired) after Shutdown.
  Batch PopBatch(size_t max_batch, std::chrono::microseconds max_delay);

  // Wakes every PopBatch; later pushes fail with Unavailable.
  void Shutdown();

  size_t size() const;
  size_t capacity() const { return capacity_; }
  // Jobs ahead of this one in the current order (0 = next); -1 when not waiting.
  int64_t PositionOf(std::string_view id) const;
  // Jobs of this tenant waiting.
  size_t CountForTenant(std::string_view tenant) const;

 private:
  // The jobs of one priority: each tenant's FIFO, and the order in which the
  // tenants take their next turn (a tenant goes to the back when served).
  struct Level {
    std::deque<std::string> turns;
    std::unordered_map<std::string, std::deque<QueuedJob>> tenants;
  };
  using Levels = std::map<int, Level, std::greater<int>>;  // highest priority first
  // Where a waiting job is: its priority and tenant (its place in the tenant's
  // FIFO is found by a walk of that FIFO).
  struct Location {
    int priority;
    std::string tenant;
  };
  // One job in the fair order, as found by FindFirst.
  struct Slot {
    Levels::iterator level;
    const std::string* tenant;
    size_t index;  // in the tenant's FIFO
  };

  void Insert(QueuedJob job);  // REQUIRES: mu_ held, the id not waiting
  // The first waiting job in the fair order that pred accepts.
  template <typename Pred>
  std::optional<Slot> FindFirst(Pred pred);
  // Removes the job at slot. served: it is being run, so its tenant goes to
  // the back of the turns (a cancel keeps the tenant's place).
  QueuedJob Take(const Slot& slot, bool served);  // REQUIRES: mu_ held

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;  // a job arrived, or shutdown
  Levels levels_;
  std::unordered_map<std::string, Location> waiting_;   // by job id
  std::unordered_map<std::string, size_t> per_tenant_;  // jobs waiting per tenant (> 0)
  bool shutdown_ = false;
};

}  // namespace kiln
