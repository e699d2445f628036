// JobService: the job lifecycle that the API and the workers share — submit
// (durable, then queued), read, cancel, start, progress, finish, recovery
// after a restart — over the jobs/ interfaces (store, queue, events,
// webhooks). Nothing here knows HTTP or models.
//
// Reads are served from an in-memory index of every job this process has
// touched (the API polls far more often than jobs change); the store stays
// the truth and fills misses. Every state change goes to the store first,
// then to the index, the event stream and the webhook.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "kiln/base/metrics.h"
#include "kiln/base/status.h"
#include "kiln/jobs/event_hub.h"
#include "kiln/jobs/job.h"
#include "kiln/jobs/job_queue.h"
#include "kiln/jobs/job_store.h"
#include "kiln/jobs/webhook_sender.h"

namespace kiln {

// The absolute URL of a ready job's image (server/ signs it); given to the
// service so that webhooks carry the same URL as get_result.
using SampleUrlFn = std::function<std::string(const Job&)>;

class JobService {
 public:
  // REQUIRES: every argument outlives the service; webhooks may be null (no deliveries).
  JobService(JobStore& store, JobQueue& queue, EventHub& events, WebhookSender* webhooks,
             MetricsRegistry& metrics, SampleUrlFn sample_url);

  // Submit: checks the tenant's active-task limit and the global queue bound
  // (ResourceExhausted, message says which), writes the job durably, queues
  // it, then calls done(job, created) — created false when the tenant's
  // idempotency key named an existing job, which is returned instead.
  // done runs on a store thread; it never blocks the caller.
  using SubmitDone = std::function<void(StatusOr<Job> job, bool created)>;
  void SubmitAsync(Job job, const Tenant& tenant, SubmitDone done);

  // A job stopped before it was queued (its prompt moderated): written
  // durably in the terminal state it carries, never queued; then the event
  // stream and the webhook say so as for any job that ends. Idempotency as
  // for SubmitAsync. done runs on a store thread.
  void RecordStoppedAsync(Job job, SubmitDone done);
  // Appends a decision to the moderation audit log in the store (not waited for).
  void RecordModeration(ModerationAuditEntry entry) { store_.RecordModeration(std::move(entry)); }

  // NotFound when the job does not exist. (Tenant checks are the caller's.)
  StatusOr<std::shared_ptr<const Job>> Get(std::string_view id);
  // Jobs ahead of this one in the queue; -1 when it is not waiting.
  int64_t QueuePosition(std::string_view id) const { return queue_.PositionOf(id); }

  // Cancels a queued job at once, or a running one at its next denoising step.
  // FailedPrecondition when the job has already finished.
  Status Cancel(std::string_view id);
  // True once Cancel was called on this running job (the worker's step callback asks).
  bool CancelRequested(std::string_view id) const;

  // Worker side. Start: queued → running (a job recovered as running is
  // started again). FailedPrecondition when the job finished meanwhile
  // (cancelled while waiting): the worker skips it.
  StatusOr<std::shared_ptr<const Job>> Start(std::string_view id, int batch_size);
  void Progress(std::string_view id, int step, int steps);
  // Terminal state, durably; then events and the webhook. FailedPrecondition
  // when it had already finished (it finishes exactly once).
  Status Finish(std::string_view id, JobState state, std::string_view blob_key,
                std::string_view error, std::string_view details_json);

  // After a restart: every queued or running job in the store goes back in
  // the queue (running ones run again from the start), oldest first.
  StatusOr<int> Recover();

  // Queued + running jobs of a tenant in this process.
  int ActiveCount(std::string_view tenant) const;

 private:
  void Remember(Job job);
  void Publish(const Job& job, std::string_view type, std::string data_json, bool terminal);
  void SendWebhook(const Job& job);
  // Events, metrics and the webhook of a job that reached a terminal state.
  void AnnounceFinished(const Job& job);
  void PublishQueuePositions();
  void AddActive(const std::string& tenant, int delta);
  QueuedJob ToQueued(const Job& job) const;

  JobStore& store_;
  JobQueue& queue_;
  EventHub& events_;
  WebhookSender* webhooks_;
  SampleUrlFn sample_url_;

  // Shared for the read index (polled by every get_result), exclusive for changes.
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const Job>> jobs_;  // guarded by mutex_
  std::unordered_map<std::string, int> active_;                      // guarded by mutex_
  std::unordered_set<std::string> cancel_requested_;                  // guarded by mutex_
  std::deque<std::string> finished_order_;  // terminal ids in jobs_, oldest first; guarded by mutex_

  Gauge& queue_depth_;
  Histogram& queue_time_;
  Counter& submitted_;
  MetricsRegistry& metrics_;
};

}  // namespace kiln
