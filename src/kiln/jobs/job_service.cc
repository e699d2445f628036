#include "kiln/jobs/job_service.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "kiln/base/clock.h"
#include "kiln/base/logging.h"

namespace kiln {
namespace {

// Terminal jobs kept in the read index; older ones are read from the store.
constexpr size_t kMaxRememberedFinished = 200000;

}  // namespace

JobService::JobService(JobStore& store, JobQueue& queue, EventHub& events, WebhookSender* webhooks,
                       MetricsRegistry& metrics, SampleUrlFn sample_url)
    : store_(store),
      queue_(queue),
      events_(events),
      webhooks_(webhooks),
      sample_url_(std::move(sample_url)),
      queue_depth_(metrics.GetGauge("kiln_queue_depth", "Jobs waiting in the queue")),
      queue_time_(metrics.GetHistogram("kiln_queue_time_seconds", "Time from submit to the start of a job")),
      submitted_(metrics.GetCounter("kiln_jobs_submitted_total", "Jobs accepted (durable and queued)")),
      metrics_(metrics) {}

QueuedJob JobService::ToQueued(const Job& job) const {
  QueuedJob q;
  q.id = job.id;
  q.tenant = job.tenant;
  q.priority = job.request.priority;
  q.key = BatchKey{job.request.model, job.request.width, job.request.height, job.request.steps,
                   job.request.guidance};
  q.deadline_ms = job.request.deadline_ms;
  return q;
}

void JobService::Remember(Job job) {
  const bool terminal = IsTerminal(job.state);
  std::string id = job.id;
  auto shared = std::make_shared<const Job>(std::move(job));
  std::lock_guard<std::shared_mutex> lock(mutex_);
  jobs_[id] = std::move(shared);
  if (terminal) {
    finished_order_.push_back(std::move(id));
    while (finished_order_.size() > kMaxRememberedFinished) {
      jobs_.erase(finished_order_.front());
      finished_order_.pop_front();
    }
  }
}

void JobService::AddActive(const std::string& tenant, int delta) {
  std::lock_guard<std::shared_mutex> lock(mutex_);
  int& n = active_[tenant];
  n += delta;
  if (n <= 0) active_.erase(tenant);
}

int JobService::ActiveCount(std::string_view tenant) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = active_.find(std::string(tenant));
  return it == active_.end() ? 0 : it->second;
}

void JobService::Publish(const Job& job, std::string_view type, std::string data_json, bool terminal) {
  JobEvent e;
  e.job_id = job.id;
  e.type = std::string(type);
  e.data_json = std::move(data_json);
  e.terminal = terminal;
  events_.Publish(e);
}

void JobService::SubmitAsync(Job job, const Tenant& tenant, SubmitDone done) {
  if (tenant.max_active > 0 && ActiveCount(job.tenant) >= tenant.max_active) {
    done(Status::ResourceExhausted("tenant '" + job.tenant + "' has " + std::to_string(tenant.max_active) +
                                   " active tasks, its limit"),
         false);
    return;
  }
  if (queue_.size() >= queue_.capacity()) {
    done(Status::ResourceExhausted("the queue is full (" + std::to_string(queue_.capacity()) + " jobs)"), false);
    return;
  }
  job.state = JobState::kQueued;
  if (job.created_ms == 0) job.created_ms = UnixMillis();
  const std::string requested_id = job.id;
  const std::string tenant_name = job.tenant;
  // Counted before the write so that concurrent submits see the limit.
  AddActive(tenant_name, 1);
  store_.InsertAsync(std::move(job), [this, requested_id, tenant_name, done = std::move(done)](
                                         const Status& status, const Job& stored) {
    const bool created = status.ok() && stored.id == requested_id;
    if (!created) AddActive(tenant_name, -1);
    if (!status.ok()) {
      done(status, false);
      return;
    }
    if (!created) {  // idempotent replay: the existing job
      done(stored, false);
      return;
    }
    Remember(stored);
    // Capacity was checked before the write; the job is durable now, so it is
    // queued even if the queue filled meanwhile (nothing accepted is lost).
    queue_.PushRecovered(ToQueued(stored));
    queue_depth_.Set(static_cast<double>(queue_.size()));
    submitted_.Increment();
    Publish(stored, "queued", nlohmann::json{{"status", "Pending"}, {"state", "queued"}}.dump(), false);
    done(stored, true);
  });
}

void JobService::RecordStoppedAsync(Job job, SubmitDone done) {
  if (job.created_ms == 0) job.created_ms = UnixMillis();
  job.finished_ms = job.created_ms;
  const std::string requested_id = job.id;
  store_.InsertAsync(std::move(job), [this, requested_id, done = std::move(done)](const Status& status,
                                                                                  const Job& stored) {
    if (!status.ok()) return done(status, false);
    const bool created = stored.id == requested_id;
    if (created) {
      Remember(stored);
      AnnounceFinished(stored);
    }
    done(stored, created);
  });
}

StatusOr<std::shared_ptr<const Job>> JobService::Get(std::string_view id) {
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    auto it = jobs_.find(std::string(id));
    if (it != jobs_.end()) return it->second;
  }
  KILN_ASSIGN_OR_RETURN(Job job, store_.Get(id));
  // A finished job from before a restart (or evicted) joins the index, so a
  // client polling it reads memory from then on, not the database. Only when
  // absent: a snapshot the workers wrote meanwhile is newer than this read.
  auto shared = std::make_shared<const Job>(std::move(job));
  if (!IsTerminal(shared->state)) return shared;  // unfinished jobs are indexed by Recover/Submit
  std::lock_guard<std::shared_mutex> lock(mutex_);
  auto [it, inserted] = jobs_.emplace(shared->id, shared);
  if (inserted) {
    finished_order_.push_back(shared->id);
    while (finished_order_.size() > kMaxRememberedFinished) {
      jobs_.erase(finished_order_.front());
      finished_order_.pop_front();
    }
  }
  return it->second;
}

Status JobService::Cancel(std::string_view id) {
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Job> job, Get(id));
  if (IsTerminal(job->state)) {
    return Status::FailedPrecondition("task " + std::string(id) + " has already finished (" +
                                      std::string(JobStateName(job->state)) + ")");
  }
  if (queue_.Remove(id)) {
    queue_depth_.Set(static_cast<double>(queue_.size()));
    return Finish(id, JobState::kCancelled, "", "cancelled by the client", "");
  }
  // Running (or about to start): the worker stops at its next step.
  std::lock_guard<std::shared_mutex> lock(mutex_);
  cancel_requested_.insert(std::string(id));
  return Status::Ok();
}

bool JobService::CancelRequested(std::string_view id) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return cancel_requested_.count(std::string(id)) > 0;
}

StatusOr<std::shared_ptr<const Job>> JobService::Start(std::string_view id, int batch_size) {
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Job> current, Get(id));
  if (IsTerminal(current->state)) {
    return Status::FailedPrecondition("task " + std::string(id) + " already finished");
  }
  if (CancelRequested(id)) {
    KILN_RETURN_IF_ERROR(Finish(id, JobState::kCancelled, "", "cancelled by the client", ""));
    return Status::FailedPrecondition("task " + std::string(id) + " was cancelled");
  }
  const int64_t now = UnixMillis();
  if (current->state == JobState::kQueued) {
    KILN_RETURN_IF_ERROR(store_.MarkRunning(id, now));
  }
  Job job = *current;
  job.state = JobState::kRunning;
  job.started_ms = now;
  job.progress = 0;
  queue_time_.Observe(static_cast<double>(now - job.created_ms) / 1000.0);
  queue_depth_.Set(static_cast<double>(queue_.size()));
  Remember(job);
  PublishQueuePositions();
  Publish(job, "running",
          nlohmann::json{{"status", "Pending"}, {"state", "running"}, {"batch_size", batch_size}}.dump(), false);
  return Get(id);
}

void JobService::Progress(std::string_view id, int step, int steps) {
  const double progress = steps > 0 ? static_cast<double>(step) / steps : 0.0;
  std::shared_ptr<const Job> current;
  {
    std::lock_guard<std::shared_mutex> lock(mutex_);
    auto it = jobs_.find(std::string(id));
    if (it == jobs_.end() || IsTerminal(it->second->state)) return;
    auto next = std::make_shared<Job>(*it->second);
    next->progress = progress;
    it->second = next;
    current = next;
  }
  Status s = store_.UpdateProgress(id, progress);
  if (!s.ok()) {
    KILN_LOG(kWarning) << "progress of " << id << ": " << s.ToString();
  }
  Publish(*current, "progress",
          nlohmann::json{{"status", "Pending"}, {"step", step}, {"steps", steps}, {"progress", progress}}.dump(),
          false);
}

Status JobService::Finish(std::string_view id, JobState state, std::string_view blob_key, std::string_view error,
                          std::string_view details_json) {
  const int64_t now = UnixMillis();
  KILN_RETURN_IF_ERROR(store_.Finish(id, state, now, blob_key, error, details_json));
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<const Job> current, Get(id));
  Job job = *current;
  job.state = state;
  job.finished_ms = now;
  if (state == JobState::kReady) job.progress = 1.0;
  job.blob_key = std::string(blob_key);
  job.error = std::string(error);
  job.details_json = std::string(details_json);
  {
    std::lock_guard<std::shared_mutex> lock(mutex_);
    cancel_requested_.erase(job.id);
  }
  AddActive(job.tenant, -1);
  Remember(job);
  AnnounceFinished(job);
  return Status::Ok();
}

void JobService::AnnounceFinished(const Job& job) {
  metrics_.GetCounter("kiln_jobs_finished_total", "Jobs that reached a terminal state",
                      {{"state", std::string(JobStateName(job.state))}})
      .Increment();

  nlohmann::json data{{"status", std::string(BflStatus(job.state))}, {"state", std::string(JobStateName(job.state))}};
  if (job.state == JobState::kReady) data["sample"] = sample_url_(job);
  if (!job.error.empty()) data["error"] = job.error;
  if (!job.details_json.empty()) {
    data["details"] = nlohmann::json::parse(job.details_json, nullptr, /*allow_exceptions=*/false);
  }
  Publish(job, job.state == JobState::kReady ? "done" : "error", data.dump(), true);
  SendWebhook(job);
}

void JobService::SendWebhook(const Job& job) {
  if (webhooks_ == nullptr || job.request.webhook_url.empty()) return;
  const double timestamp = static_cast<double>(job.finished_ms) / 1000.0;
  nlohmann::json body;
  if (job.state == JobState::kReady) {
    body = {{"id", job.id},
            {"status", "Ready"},
            {"result", {{"sample", sample_url_(job)}, {"prompt", job.request.prompt}, {"seed", job.request.seed}}},
            {"timestamp", timestamp}};
  } else {
    body = {{"id", job.id},
            {"status", std::string(BflStatus(job.state))},
            {"error", std::string(JobStateName(job.state))},
            {"message", job.error},
            {"timestamp", timestamp}};
  }
  WebhookDelivery d;
  d.job_id = job.id;
  d.url = job.request.webhook_url;
  d.secret = job.request.webhook_secret;
  d.body = body.dump();
  d.traceparent = job.traceparent;
  webhooks_->Enqueue(std::move(d));
}

void JobService::PublishQueuePositions() {
  // A job left the queue: everyone watching a waiting job learns its new place.
  for (const std::string& id : events_.WatchedJobs()) {
    const int64_t position = queue_.PositionOf(id);
    if (position < 0) continue;  // running or finished
    JobEvent e;
    e.job_id = id;
    e.type = "queued";
    e.data_json = nlohmann::json{{"status", "Pending"}, {"state", "queued"}, {"queue_position", position}}.dump();
    events_.Publish(e);
  }
}

StatusOr<int> JobService::Recover() {
  KILN_ASSIGN_OR_RETURN(std::vector<Job> unfinished, store_.Unfinished());
  for (Job& job : unfinished) {
    AddActive(job.tenant, 1);
    queue_.PushRecovered(ToQueued(job));
    Remember(std::move(job));
  }
  queue_depth_.Set(static_cast<double>(queue_.size()));
  return static_cast<int>(unfinished.size());
}

}  // namespace kiln
