#include "kiln/worker/worker_pool.h"

#include <algorithm>

#include "kiln/base/clock.h"
#include "kiln/base/logging.h"
#include "kiln/base/thread_pool.h"
#include "kiln/moderation/decision_json.h"
#include "kiln/pipeline/image_codec.h"
#include "kiln/pipeline/png_writer.h"
#include "kiln/pipeline/text_to_image_model.h"

namespace kiln {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<double> BatchSizeBuckets() { return {1, 2, 3, 4, 6, 8, 12, 16, 24, 32}; }

}  // namespace

struct WorkerPool::Worker {
  std::unique_ptr<ThreadPool> pool;
  std::map<std::string, std::unique_ptr<TextToImageModel>> models;
  std::unique_ptr<OutputModeration> moderation;  // null: moderation off
};

WorkerPool::WorkerPool(JobService& service, JobQueue& queue, BlobStore& blobs, MetricsRegistry& metrics,
                       WorkerOptions options, std::map<std::string, std::string> model_dirs)
    : service_(service),
      queue_(queue),
      blobs_(blobs),
      metrics_(metrics),
      options_(options),
      model_dirs_(std::move(model_dirs)),
      busy_workers_(metrics.GetGauge("kiln_workers_busy", "Workers running a batch now")),
      busy_seconds_(metrics.GetCounter("kiln_worker_busy_seconds_total",
                                       "Seconds workers spent running batches (utilisation = rate / workers)")),
      batch_size_(metrics.GetHistogram("kiln_batch_size", "Jobs per batch run", {}, BatchSizeBuckets())) {
  metrics.GetGauge("kiln_workers", "Worker threads").Set(options.workers);
}

WorkerPool::~WorkerPool() { Stop(); }

Status WorkerPool::Start() {
  const int threads = options_.compute_threads > 0
                          ? options_.compute_threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < options_.workers; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->pool = std::make_unique<ThreadPool>(threads);
    for (const auto& [name, dir] : model_dirs_) {
      StatusOr<std::unique_ptr<TextToImageModel>> model = TextToImageModel::Load(dir);
      if (!model.ok()) return model.status().WithContext("model '" + name + "'");
      worker->models[name] = std::move(model).value();
    }
    if (options_.moderation.policies != nullptr) {
      KILN_ASSIGN_OR_RETURN(worker->moderation, OutputModeration::Load(options_.moderation));
    }
    workers_.push_back(std::move(worker));
  }
  for (auto& worker : workers_) threads_.emplace_back([this, w = worker.get()] { Run(*w); });
  return Status::Ok();
}

void WorkerPool::Stop() {
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void WorkerPool::Run(Worker& worker) {
  for (;;) {
    Batch batch = queue_.PopBatch(options_.max_batch_size, options_.max_queue_delay);
    if (batch.jobs.empty() && batch.expired.empty()) return;  // shut down
    for (const QueuedJob& q : batch.expired) {
      Status s = service_.Finish(q.id, JobState::kError, "",
                                 "deadline exceeded: the task was still queued at its deadline", "");
      if (!s.ok()) {
        KILN_LOG(kWarning) << "expire " << q.id << ": " << s.ToString();
      }
    }
    if (batch.jobs.empty()) continue;
    const auto start = std::chrono::steady_clock::now();
    busy_workers_.Add(1);
    RunBatch(worker, batch);
    busy_workers_.Add(-1);
    busy_seconds_.Increment(SecondsSince(start));
  }
}

void WorkerPool::RunBatch(Worker& worker, const Batch& batch) {
  std::vector<std::shared_ptr<const Job>> jobs;
  for (const QueuedJob& q : batch.jobs) {
    StatusOr<std::shared_ptr<const Job>> job = service_.Start(q.id, static_cast<int>(batch.jobs.size()));
    if (job.ok()) jobs.push_back(std::move(job).value());
  }
  if (jobs.empty()) return;
  batch_size_.Observe(static_cast<double>(jobs.size()));

  const BatchKey& key = batch.jobs.front().key;
  auto model_it = worker.models.find(key.model);
  auto fail_all = [&](const std::string& message) {
    for (const auto& job : jobs) {
      Status s = service_.Finish(job->id, JobState::kError, "", message, "");
      if (!s.ok()) {
        KILN_LOG(kWarning) << "finish " << job->id << ": " << s.ToString();
      }
    }
  };
  if (model_it == worker.models.end()) return fail_all("model '" + key.model + "' is not loaded by this worker");
  TextToImageModel& model = *model_it->second;

  std::vector<std::string> prompts;
  std::vector<uint64_t> seeds;
  for (const auto& job : jobs) {
    prompts.push_back(job->request.prompt);
    seeds.push_back(job->request.seed);
  }
  GenerateOptions options = model.DefaultOptions();
  options.width = key.width;
  options.height = key.height;
  options.steps = key.steps;
  options.guidance = key.guidance;

  // A job cancelled mid-batch finishes at once; the batch goes on for the
  // others and stops only when every job in it has been cancelled.
  std::vector<bool> cancelled(jobs.size(), false);
  auto on_step = [&](const FlowStep& step) -> Status {
    size_t live = 0;
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (cancelled[i]) continue;
      if (service_.CancelRequested(jobs[i]->id)) {
        cancelled[i] = true;
        Status s = service_.Finish(jobs[i]->id, JobState::kCancelled, "", "cancelled by the client", "");
        if (!s.ok()) {
          KILN_LOG(kWarning) << "cancel " << jobs[i]->id << ": " << s.ToString();
        }
        continue;
      }
      ++live;
      service_.Progress(jobs[i]->id, step.index + 1, step.count);
    }
    return live == 0 ? Status::Cancelled("every task of the batch was cancelled") : Status::Ok();
  };

  GenerateTimings timings;
  StatusOr<Tensor> images = model.Generate(*worker.pool, prompts, seeds, options, on_step, &timings);
  if (!images.ok()) {
    if (images.status().code() == StatusCode::kCancelled) return;
    std::vector<std::shared_ptr<const Job>> live;
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (!cancelled[i]) live.push_back(jobs[i]);
    }
    jobs = live;
    return fail_all("generation failed: " + images.status().message());
  }
  auto stage = [&](const char* name) -> Histogram& {
    return metrics_.GetHistogram("kiln_job_stage_seconds", "Time per stage of a batch", {{"stage", name}});
  };
  stage("text_encode").Observe(timings.text_encode_s);
  stage("denoise").Observe(timings.denoise_s);
  stage("decode").Observe(timings.decode_s);

  const auto encode_start = std::chrono::steady_clock::now();
  const int64_t h = images->dim(2), w = images->dim(3);
  std::vector<uint8_t> rgb(static_cast<size_t>(h * w * 3));
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (cancelled[i]) continue;
    ImageTensorToRgb8(images->f32() + static_cast<int64_t>(i) * 3 * h * w, h, w, rgb.data());
    FinishImage(worker, *jobs[i], rgb.data(), static_cast<int>(w), static_cast<int>(h));
  }
  stage("encode_image").Observe(SecondsSince(encode_start));
}

void WorkerPool::FinishImage(Worker& worker, const Job& job, const uint8_t* rgb, int width, int height) {
  JobState state = JobState::kReady;
  std::string details = job.details_json;
  Status s;
  if (worker.moderation != nullptr) {
    StatusOr<OutputVerdict> verdict = worker.moderation->Check(*worker.pool, job, rgb, width, height);
    if (!verdict.ok()) {
      // An image that could not be checked is not served.
      s = service_.Finish(job.id, JobState::kError, "", "moderating the image failed: " + verdict.status().message(),
                          "");
      if (!s.ok()) {
        KILN_LOG(kWarning) << "finish " << job.id << ": " << s.ToString();
      }
      return;
    }
    if (verdict->checked) {
      service_.RecordModeration(ModerationAuditEntry{job.id, job.tenant, "output_image",
                                                     std::string(ModerationActionName(verdict->decision.action)),
                                                     verdict->policy_version,
                                                     ReasonsJson(verdict->decision).dump(), UnixMillis()});
    }
    state = verdict->state;
    details = verdict->details_json;
    if (verdict->quarantine) {
      // Lossless, whatever the job asked for: a reviewer sees what the classifier saw.
      StatusOr<std::string> png = EncodeImage(ImageFormat::kPng, rgb, width, height);
      s = png.ok() ? blobs_.Put(QuarantineBlobKey(job), *png) : png.status();
      if (!s.ok()) {
        KILN_LOG(kWarning) << "quarantine " << job.id << ": " << s.ToString();
      }
    }
  }
  if (state == JobState::kReady) {
    const ImageFormat format = ParseImageFormat(job.request.output_format).value_or(ImageFormat::kJpeg);
    StatusOr<std::string> bytes = EncodeImage(format, rgb, width, height);
    s = bytes.status();
    const std::string blob_key = job.tenant + "/" + job.id + std::string(ImageFormatExtension(format));
    if (s.ok()) s = blobs_.Put(blob_key, *bytes);
    if (!s.ok()) {
      s = service_.Finish(job.id, JobState::kError, "", "storing the image failed: " + s.message(), "");
    } else {
      s = service_.Finish(job.id, JobState::kReady, blob_key, "", details);
    }
  } else {
    s = service_.Finish(job.id, state, "", "the generated image was moderated", details);
  }
  if (!s.ok()) {
    KILN_LOG(kWarning) << "finish " << job.id << ": " << s.ToString();
  }
}

}  // namespace kiln
