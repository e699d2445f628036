// WorkerPool: the in-process workers of `kiln serve`. Each worker thread
// owns its model instances and its compute pool, takes batches of
// compatible jobs from the queue (Triton-style: max batch size, max queue
// delay), runs them through the text-to-image pipeline with progress and
// cancellation at every denoising step, encodes each image in the format
// its job asked for, stores it and finishes the job. With moderation on,
// each image is checked first (output_moderation.h) and only served when
// the tenant's policy allows it.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kiln/base/metrics.h"
#include "kiln/base/status.h"
#include "kiln/jobs/blob_store.h"
#include "kiln/jobs/job_queue.h"
#include "kiln/jobs/job_service.h"
#include "kiln/worker/output_moderation.h"

namespace kiln {

struct WorkerOptions {
  int workers = 1;  // 0: an API-only process (jobs wait for workers elsewhere, or a restart)
  int compute_threads = 0;  // per worker; 0: every core
  size_t max_batch_size = 4;
  std::chrono::microseconds max_queue_delay{10000};
  OutputModerationOptions moderation;  // policies null: images are served unchecked
};

class WorkerPool {
 public:
  // model_dirs: served model name → model directory. REQUIRES: the
  // references outlive the pool.
  WorkerPool(JobService& service, JobQueue& queue, BlobStore& blobs, MetricsRegistry& metrics,
             WorkerOptions options, std::map<std::string, std::string> model_dirs);
  ~WorkerPool();

  // Loads every model once per worker, then starts the threads.
  Status Start();
  // Stops the threads once the queue is shut down (call queue.Shutdown() first).
  void Stop();

 private:
  struct Worker;
  void Run(Worker& worker);
  void RunBatch(Worker& worker, const Batch& batch);
  // Moderates, encodes, stores and finishes one job's image.
  void FinishImage(Worker& worker, const Job& job, const uint8_t* rgb, int width, int height);

  JobService& service_;
  JobQueue& queue_;
  BlobStore& blobs_;
  MetricsRegistry& metrics_;
  WorkerOptions options_;
  std::map<std::string, std::string> model_dirs_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  Gauge& busy_workers_;
  Counter& busy_seconds_;
  Histogram& batch_size_;
};

}  // namespace kiln
