#include "kiln/jobs/job_queue.h"

#include <algorithm>

#include "kiln/base/clock.h"
#include "kiln/base/logging.h"

namespace kiln {

JobQueue::JobQueue(size_t capacity) : capacity_(capacity) {}

Status JobQueue::Push(QueuedJob job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return Status::Unavailable("the job queue is shut down");
    if (waiting_.size() >= capacity_) {
      return Status::ResourceExhausted("the job queue is full (" + std::to_string(capacity_) + " jobs waiting)");
    }
    if (waiting_.count(job.id) != 0) {
      return Status(StatusCode::kAlreadyExists, "job " + job.id + " is already queued");
    }
    Insert(std::move(job));
  }
  // All, not one: a worker filling a batch may not want this job, an idle one does.
  cv_.notify_all();
  return Status::Ok();
}

void JobQueue::PushRecovered(QueuedJob job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return;
    if (waiting_.count(job.id) != 0) {
      KILN_LOG(kWarning) << "job " << job.id << " recovered twice; queued once";
      return;
    }
    Insert(std::move(job));
  }
  cv_.notify_all();
}

void JobQueue::Insert(QueuedJob job) {
  waiting_.emplace(job.id, Location{job.priority, job.tenant});
  ++per_tenant_[job.tenant];
  Level& level = levels_[job.priority];
  std::deque<QueuedJob>& fifo = level.tenants[job.tenant];
  // A tenant with nothing waiting joins at the back of the turns.
  if (fifo.empty()) level.turns.push_back(job.tenant);
  fifo.push_back(std::move(job));
}

template <typename Pred>
std::optional<JobQueue::Slot> JobQueue::FindFirst(Pred pred) {
  // The fair order: per priority, rounds; each round visits the tenants in
  // turn order and offers each one's next job. Tenants run out of jobs at
  // different rounds and drop out, so the walk costs O(jobs + tenants).
  std::vector<std::pair<const std::string*, const std::deque<QueuedJob>*>> active;
  for (auto level = levels_.begin(); level != levels_.end(); ++level) {
    active.clear();
    for (const std::string& tenant : level->second.turns) {
      active.emplace_back(&tenant, &level->second.tenants.at(tenant));
    }
    for (size_t round = 0; !active.empty(); ++round) {
      for (const auto& [tenant, fifo] : active) {
        if (pred((*fifo)[round])) return Slot{level, tenant, round};
      }
      std::erase_if(active, [round](const auto& entry) { return entry.second->size() <= round + 1; });
    }
  }
  return std::nullopt;
}

QueuedJob JobQueue::Take(const Slot& slot, bool served) {
  Level& level = slot.level->second;
  const std::string tenant = *slot.tenant;  // slot.tenant dies with the turn entry below
  auto fifo = level.tenants.find(tenant);
  QueuedJob job = std::move(fifo->second[slot.index]);
  fifo->second.erase(fifo->second.begin() + static_cast<std::ptrdiff_t>(slot.index));
  if (served || fifo->second.empty()) {
    // Served: the tenant's next turn comes after every other tenant's.
    level.turns.erase(std::find(level.turns.begin(), level.turns.end(), tenant));
    if (fifo->second.empty()) {
      level.tenants.erase(fifo);
    } else {
      level.turns.push_back(tenant);
    }
  }
  if (level.tenants.empty()) levels_.erase(slot.level);
  waiting_.erase(job.id);
  auto count = per_tenant_.find(tenant);
  if (--count->second == 0) per_tenant_.erase(count);
  return job;
}

bool JobQueue::Remove(std::string_view id_view) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id(id_view);
  auto where = waiting_.find(id);
  if (where == waiting_.end()) return false;
  auto level = levels_.find(where->second.priority);
  auto fifo = level->second.tenants.find(where->second.tenant);
  const auto& jobs = fifo->second;
  const auto it = std::find_if(jobs.begin(), jobs.end(), [&](const QueuedJob& job) { return job.id == id; });
  Take(Slot{level, &fifo->first, static_cast<size_t>(it - jobs.begin())}, /*served=*/false);
  return true;
}

Batch JobQueue::PopBatch(size_t max_batch, std::chrono::microseconds max_delay) {
  max_batch = std::max<size_t>(max_batch, 1);
  Batch batch;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return shutdown_ || !waiting_.empty(); });
  if (shutdown_) return batch;

  int64_t now_ms = UnixMillis();
  auto expired = [&now_ms](const QueuedJob& job) { return job.deadline_ms != 0 && job.deadline_ms < now_ms; };
  // The first job is the head of the fair order; expired jobs ahead of it are
  // handed back too.
  while (!waiting_.empty()) {
    QueuedJob job = Take(*FindFirst([](const QueuedJob&) { return true; }), /*served=*/true);
    if (expired(job)) {
      batch.expired.push_back(std::move(job));
    } else {
      batch.jobs.push_back(std::move(job));
      break;
    }
  }
  if (batch.jobs.empty()) return batch;  // only expired ones: let the worker fail them now

  const BatchKey key = batch.jobs.front().key;
  const auto give_up = std::chrono::steady_clock::now() + max_delay;
  for (;;) {
    now_ms = UnixMillis();
    while (batch.jobs.size() < max_batch) {
      std::optional<Slot> slot = FindFirst([&](const QueuedJob& job) { return job.key == key || expired(job); });
      if (!slot) break;
      QueuedJob job = Take(*slot, /*served=*/true);
      (expired(job) ? batch.expired : batch.jobs).push_back(std::move(job));
    }
    // On shutdown the jobs taken so far still go out: they are not lost
    // (the store has them) but running them is better than dropping them.
    if (batch.jobs.size() >= max_batch || shutdown_ || std::chrono::steady_clock::now() >= give_up) break;
    cv_.wait_until(lock, give_up);
  }
  return batch;
}

void JobQueue::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
}

size_t JobQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_.size();
}

int64_t JobQueue::PositionOf(std::string_view id_view) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id(id_view);
  auto where = waiting_.find(id);
  if (where == waiting_.end()) return -1;
  int64_t ahead = 0;
  for (const auto& [priority, level] : levels_) {
    if (priority != where->second.priority) {
      for (const auto& [tenant, fifo] : level.tenants) ahead += static_cast<int64_t>(fifo.size());
      continue;
    }
    // In the round-robin walk, a job k-th in its tenant's FIFO comes after the
    // first k jobs of every tenant (fewer when a tenant has fewer), and after
    // the (k+1)-th job of each tenant whose turn comes before its tenant's.
    const auto& own = level.tenants.at(where->second.tenant);
    const size_t k = static_cast<size_t>(
        std::find_if(own.begin(), own.end(), [&](const QueuedJob& job) { return job.id == id; }) - own.begin());
    bool before = true;
    for (const std::string& tenant : level.turns) {
      if (tenant == where->second.tenant) {
        before = false;
        ahead += static_cast<int64_t>(k);
        continue;
      }
      const size_t n = level.tenants.at(tenant).size();
      ahead += static_cast<int64_t>(std::min(n, k) + (before && n > k ? 1 : 0));
    }
    break;
  }
  return ahead;
}

size_t JobQueue::CountForTenant(std::string_view tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = per_tenant_.find(std::string(tenant));
  return it == per_tenant_.end() ? 0 : it->second;
}

}  // namespace kiln
